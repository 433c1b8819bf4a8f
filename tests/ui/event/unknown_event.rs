use dfinery::DfineryEvent;

#[derive(DfineryEvent)]
#[dfinery(event = "df_purchse")]
struct Purchase {
    df_order_id: String,
}

fn main() {}
