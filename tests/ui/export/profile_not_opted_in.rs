use dfinery::DfineryProfile;
use dfinery::export::ExportRows;

#[derive(DfineryProfile)]
struct Member {
    df_name: Option<String>,
}

fn main() {
    let reader = ExportRows::new(&b"df_unified_id\r\n"[..]).unwrap();
    let _ = reader.profiles::<Member>();
}
