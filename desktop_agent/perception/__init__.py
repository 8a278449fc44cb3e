"""Perception: pixels -> typed elements. OCR (ocr.py), widgets and templates (OpenCV), the perceiver."""
