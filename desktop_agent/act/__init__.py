"""Acting on the desktop: `actuator` (pointer and keyboard through pyautogui and xdotool) and `xkeys` (one
key at a time through XTEST with the focus checked under a server grab). Only the guard calls these.

May import: core, screen.
"""
