"""A target -> exactly one element: `resolve` (a TargetSpec against a Screen), with `rows` (rows and cells
of lists and tables), `containers` (toolbars, sidebars, tab strips), `relations` (positional),
`labels` (labels and the widgets they name), `explain` (how it names what it saw); `textmatch` (match tiers),
`fallbacks` (the order of grounders: the words, then a recording's crop, landmark and point), `locators`
(what a recording keeps about a target) and `make_locator` (one for a point on a screen).

May import: core, screen, perception.
"""
