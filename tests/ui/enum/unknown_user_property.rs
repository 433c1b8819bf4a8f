use dfinery::DfineryEnum;

#[derive(DfineryEnum)]
#[dfinery(user_property = "df_gendr")]
enum Gender {
    Male,
    Female,
}

fn main() {}
