use dfinery::{DfineryEvent, Item, ObjectWriter, PropertiesDescription};

// `Line` implements `Item` by hand and lists no event in `EVENTS`: the fix is there, not in a
// `#[dfinery(...)]` it does not have.
struct Line;

static LINE: PropertiesDescription = PropertiesDescription {
    rust_name: "Line",
    properties: &[],
};

impl Item for Line {
    fn description() -> &'static PropertiesDescription {
        &LINE
    }

    fn write_item(&self, _: &mut ObjectWriter<'_>) {}
}

#[derive(DfineryEvent)]
struct WishlistShared {
    #[dfinery(items)]
    lines: Vec<Line>,
}

fn main() {}
