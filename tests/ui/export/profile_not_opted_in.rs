use dfinery::DfineryProfile;
use dfinery::export::ExportReader;

#[derive(DfineryProfile)]
struct Member {
    df_name: Option<String>,
}

fn main() {
    let reader = ExportReader::new(&b"df_unified_id\r\n"[..]).unwrap();
    let _ = reader.profiles::<Member>();
}
