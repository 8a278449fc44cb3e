"""What is seen: pixels -> typed elements. `ocr` (RapidOCR), `widgets` and `templates` (OpenCV), `models`
(verified model files), `perceiver` (per window, incremental -> Screen), `senses` (capture + windows +
perception, the agent's own windows skipped), `seen` (what a recording saw, to start a replay from).

May import: core, screen.
"""
