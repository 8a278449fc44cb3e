"""`ground`: resolve one target on the live screen or a saved screenshot, and act on nothing.

Imports only what that needs (perception, grounding, the step language): no runner, memory or input.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.cli import reporting
from desktop_agent.cli.exit_codes import EXIT_FAILED, EXIT_OK
from desktop_agent.core.errors import AgentError, GroundingError
from desktop_agent.core.values import Frame, Rect
from desktop_agent.grounding.resolve import ground
from desktop_agent.language.steps import parse_target, understand_target
from desktop_agent.perception import templates
from desktop_agent.perception.standard import build_perceiver


def add_commands(commands: argparse._SubParsersAction) -> None:
    ground_cmd = commands.add_parser("ground", help="resolve one target and act on nothing")
    ground_cmd.add_argument("target", help='e.g. \'the field right of "Name"\'')
    ground_cmd.add_argument("--image", type=Path, help="a screenshot (PNG) instead of the live screen")
    ground_cmd.add_argument("--json", action="store_true")
    ground_cmd.set_defaults(handler=_ground)


def _ground(args: argparse.Namespace) -> int:
    spec = parse_target(args.target)
    understood = [{"words": u.words, "as": u.read_as} | ({"role": u.role.value} if u.role else {})
                  for u in understand_target(args.target)]
    perceiver = build_perceiver()
    if args.image:
        image = _read_image(args.image)
        height, width = image.shape[:2]
        frame = Frame(image=image, region=Rect(left=0, top=0, width=width, height=height))
        screen = perceiver.perceive(frame, ())
    else:
        from desktop_agent.compose import build_senses

        screen = build_senses(perceiver=perceiver).look().screen
    try:
        target = ground(spec, screen, match_template=templates.match_template, base_dir=Path.cwd())
    except GroundingError as exc:
        if args.json:
            print(json.dumps({"error": exc.message, "candidates": list(exc.candidates),
                              "understood": understood}, indent=2), file=args.stdout)
        else:
            print(f"not grounded: {exc}")
        return EXIT_FAILED
    if args.json:
        print(json.dumps({**(reporting.target_json(target) or {}), "understood": understood}, indent=2),
              file=args.stdout)
    else:
        print(f"{target.strategy}: point ({target.point.x},{target.point.y}) box "
              f"{reporting.box_text(target.box)} — {target.why}")
    return EXIT_OK


def _read_image(path: Path) -> np.ndarray:
    """The image at `path`, or an AgentError saying which path and why (OpenCV's own warnings for a
    missing file never reach the terminal: the file is read here and only decoded by OpenCV)."""
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as exc:
        raise AgentError(f"cannot read image {path}: {exc.strerror or exc}") from exc
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise AgentError(f"cannot read image {path}: not an image file (PNG, JPEG, BMP …) OpenCV can decode")
    return image
