use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(user_property = "df_gender")]
enum Gender {
    Male,
    Female,
    Nonbinary,
    Other,
}

fn main() {}
