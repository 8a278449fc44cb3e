"""What is seen: pixels and accessibility trees -> typed elements. `fusion` (tree nodes -> elements, and
what vision must still read), `ocr` (RapidOCR), `icons` (the icon reader) and `icon_names` (icons named
by it), `glyphs` (one-glyph buttons), `crop_reads`, `widgets` and `templates` (OpenCV), `detector` (our
element detector, not yet used by the perceiver), `widget_text` (text fused into widgets), `strips` (tab
strips, buttons side by side), `standard` (the perceiver every front end uses), `models` (verified model
files), `perceiver` (per window, incremental -> Screen), `tree_memory` (trees kept, brought up to date
from their applications' events, or read whole), `pixel_changes`, `senses` (capture + windows +
perception, the agent's own windows skipped), `seen` (what a recording saw, to start a replay from).

May import: core, screen, accessibility.
"""
