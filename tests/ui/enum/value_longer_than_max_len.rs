use dfinery::DfineryEnum;

// `comment` has no registered values but a `max_len` of 20: every value must fit it.
#[derive(DfineryEnum)]
#[dfinery(event = "app_review", property = "comment", rename_all = "snake_case")]
enum Comment {
    Great,
    ExcellentServiceAndFastDelivery,
}

fn main() {
    let _ = (Comment::Great, Comment::ExcellentServiceAndFastDelivery);
}
