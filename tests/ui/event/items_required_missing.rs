use dfinery::DfineryEvent;

// `df_refund` carries `df_items` (required): it needs an items field.
#[derive(DfineryEvent)]
#[dfinery(event = "df_refund")]
struct Refund {
    df_total_refund_amount: f64,
}

fn main() {}
