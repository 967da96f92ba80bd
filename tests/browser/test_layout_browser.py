"""The page frame keeps a side margin at every width: the header's name and the content never
start at the window's edge (dkfds's container has a fixed width only from 1200 px up)."""

import pytest

# 768 and 992 are dkfds breakpoints where the container is the window's full width; 1100 is
# between them and 1200, where the margin went missing; 1280 has dkfds's fixed width.
WIDTHS = [768, 992, 1100, 1280]
PAGES = [("/login", "staff login"), ("/portal/aarhus", "portal front")]


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_header_name_and_content_keep_a_side_margin(width, page, live_server, visit_checked):
    page.set_viewport_size({"width": width, "height": 900})
    for path, label in PAGES:
        visit_checked(page, live_server.url + path, label=f"{label} at {width} px")
        name = page.locator("header .header-title").bounding_box()
        heading = page.locator("main h1").first.bounding_box()
        assert name["x"] > 0, f"{label} at {width} px: the header's name is at the window's edge"
        assert heading["x"] > 0, f"{label} at {width} px: the content is at the window's edge"
        assert heading["x"] + heading["width"] < width
