#![deny(warnings)]

use dfinery::{DfineryEnum, DfineryProfile, Patch, Profile};

#[derive(DfineryEnum)]
#[dfinery(user_property = "df_gender")]
enum Gender {
    Female,
    #[dfinery(rename = "NonBinary")]
    Nonbinary,
}

#[derive(DfineryProfile)]
struct Member {
    df_gender: Option<Gender>,
    df_membership: Patch<String>,
    df_kakao_ads_optin: bool,
}

fn main() {
    let member = Member {
        df_gender: Some(Gender::Nonbinary),
        df_membership: Patch::Clear,
        df_kakao_ads_optin: false,
    };
    let props = member.to_user_properties().unwrap();
    assert_eq!(
        props.get(),
        r#"{"df_gender":"NonBinary","df_membership":null,"df_kakao_ads_optin":false}"#
    );
    let _ = Gender::Female;
}
