//! The order both PDF writers draw a laid-out page in: every rule first, then every line of
//! text, with the font named only where it changes; coordinates turned from the layout's
//! top-down to PDF's bottom-up.

use super::layout::{Item, Page, PAGE_HEIGHT};

/// A horizontal rule, in PDF coordinates.
pub(crate) struct RuleAt {
    /// Left end.
    pub x1: f32,
    /// Right end.
    pub x2: f32,
    /// Height above the bottom of the page.
    pub y: f32,
}

/// A line of text, in PDF coordinates.
pub(crate) struct TextAt<'a> {
    /// Left edge.
    pub x: f32,
    /// Baseline, above the bottom of the page.
    pub y: f32,
    /// `(bold, size)` where the face or the size differs from the line before; `None` where
    /// the font set for the line before still holds.
    pub font: Option<(bool, f32)>,
    /// The text.
    pub text: &'a str,
}

/// The rules of `page`, in the order laid out.
pub(crate) fn rules(page: &Page) -> impl Iterator<Item = RuleAt> + '_ {
    page.iter().filter_map(|item| match item {
        Item::Rule { x1, x2, y } => Some(RuleAt {
            x1: *x1,
            x2: *x2,
            y: PAGE_HEIGHT - y,
        }),
        Item::Text { .. } => None,
    })
}

/// The lines of text of `page`, in the order laid out.
pub(crate) fn texts(page: &Page) -> impl Iterator<Item = TextAt<'_>> + '_ {
    let mut current: Option<(bool, f32)> = None;
    page.iter().filter_map(move |item| match item {
        Item::Text {
            x,
            baseline,
            size,
            bold,
            text,
        } => {
            let font = (current != Some((*bold, *size))).then_some((*bold, *size));
            current = Some((*bold, *size));
            Some(TextAt {
                x: *x,
                y: PAGE_HEIGHT - baseline,
                font,
                text,
            })
        }
        Item::Rule { .. } => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bold: bool, size: f32, baseline: f32) -> Item {
        Item::Text {
            x: 10.0,
            baseline,
            size,
            bold,
            text: "regel".into(),
        }
    }

    #[test]
    fn the_font_is_named_only_where_it_changes_and_heights_are_from_the_bottom() {
        let page = vec![
            text(true, 14.0, 50.0),
            Item::Rule {
                x1: 1.0,
                x2: 2.0,
                y: 60.0,
            },
            text(true, 14.0, 70.0),
            text(false, 10.0, 80.0),
            text(false, 10.0, 90.0),
            text(true, 10.0, 100.0),
        ];
        let fonts: Vec<_> = texts(&page).map(|t| t.font).collect();
        assert_eq!(
            fonts,
            [
                Some((true, 14.0)),
                None,
                Some((false, 10.0)),
                None,
                Some((true, 10.0))
            ]
        );
        let heights: Vec<_> = texts(&page).map(|t| t.y).collect();
        assert_eq!(heights[0], PAGE_HEIGHT - 50.0);
        let rules: Vec<_> = rules(&page).map(|r| (r.x1, r.x2, r.y)).collect();
        assert_eq!(rules, [(1.0, 2.0, PAGE_HEIGHT - 60.0)]);
    }
}
