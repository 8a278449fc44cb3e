"""A target -> exactly one element: `resolve` (a TargetSpec against a Screen), `textmatch` (match tiers),
`fallbacks` (the order of grounders: the words, then a recording's crop, landmark and point), `locators`
(what a recording keeps about a target) and `make_locator` (one for a point on a screen).

May import: core, screen, perception.
"""
