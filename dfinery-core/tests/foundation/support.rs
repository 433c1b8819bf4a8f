//! Hand-written `Event`, `Item` and `Profile` impls shaped like the derive's output, for the
//! standard events and user properties the golden examples use.

use dfinery_core::__private::impl_enum_property;
use dfinery_core::{
    DataType, Date, Datetime, DfineryEnumValue, Event, EventDescription, FieldDescription, Item,
    ItemList, ItemsDescription, ItemsWriter, ObjectWriter, Patch, Profile, PropertiesDescription,
    PropertySpec, Scope,
};
use uuid::Uuid;

const fn item(name: &'static str, ty: DataType) -> PropertySpec {
    PropertySpec::new(name, ty, Scope::Item)
}

const fn event(name: &'static str, ty: DataType) -> PropertySpec {
    PropertySpec::new(name, ty, Scope::Event)
}

const fn user(name: &'static str, ty: DataType) -> PropertySpec {
    PropertySpec::new(name, ty, Scope::User)
}

const fn required(spec: PropertySpec) -> PropertySpec {
    PropertySpec {
        required: true,
        ..spec
    }
}

/// One `df_items` entry (`docs/protocol.md` §5.3).
pub struct LineItem {
    pub id: String,
    pub name: String,
    pub price: f64,
    pub quantity: i64,
    pub discount: f64,
    pub category1: Option<String>,
    pub category2: Option<String>,
}

pub static LINE_ITEM: PropertiesDescription = PropertiesDescription {
    rust_name: "LineItem",
    properties: &[
        FieldDescription {
            rust_field: "id",
            spec: required(item("df_item_id", DataType::String)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "name",
            spec: required(item("df_item_name", DataType::String)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "price",
            spec: required(item("df_price", DataType::Double)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "quantity",
            spec: required(item("df_quantity", DataType::Long)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "discount",
            spec: required(item("df_discount", DataType::Double)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "category1",
            spec: item("df_category1", DataType::String),
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "category2",
            spec: item("df_category2", DataType::String),
            absent: true,
            values: &[],
        },
    ],
};

impl Item for LineItem {
    fn description() -> &'static PropertiesDescription {
        &LINE_ITEM
    }

    fn write_item(&self, w: &mut ObjectWriter<'_>) {
        let p = LINE_ITEM.properties;
        w.property(&p[0].spec, &self.id);
        w.property(&p[1].spec, &self.name);
        w.property(&p[2].spec, &self.price);
        w.property(&p[3].spec, &self.quantity);
        w.property(&p[4].spec, &self.discount);
        w.property(&p[5].spec, &self.category1);
        w.property(&p[6].spec, &self.category2);
    }
}

/// `df_purchase` (`docs/protocol.md` §5.1).
pub struct Purchase {
    pub log_id: Option<Uuid>,
    pub at: Option<Datetime>,
    pub order_id: String,
    pub payment_method: String,
    pub total_purchase_amount: f64,
    pub delivery_charge: f64,
    pub discount: f64,
    pub items: Vec<LineItem>,
}

pub static PURCHASE: EventDescription = EventDescription {
    name: "df_purchase",
    rust_name: "Purchase",
    properties: &[
        FieldDescription {
            rust_field: "order_id",
            spec: required(event("df_order_id", DataType::String)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "payment_method",
            spec: required(event("df_payment_method", DataType::String)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "total_purchase_amount",
            spec: required(event("df_total_purchase_amount", DataType::Double)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "delivery_charge",
            spec: required(event("df_delivery_charge", DataType::Double)),
            absent: false,
            values: &[],
        },
        FieldDescription {
            rust_field: "discount",
            spec: required(event("df_discount", DataType::Double)),
            absent: false,
            values: &[],
        },
    ],
    items: Some(ItemsDescription {
        rust_field: "items",
        required: true,
        item: <<Vec<LineItem> as ItemList>::Element as Item>::description,
    }),
};

impl Event for Purchase {
    fn description() -> &'static EventDescription {
        &PURCHASE
    }

    fn event_name(&self) -> &'static str {
        PURCHASE.name
    }

    fn write_properties(&self, w: &mut ObjectWriter<'_>) {
        let p = PURCHASE.properties;
        w.property(&p[0].spec, &self.order_id);
        w.property(&p[1].spec, &self.payment_method);
        w.property(&p[2].spec, &self.total_purchase_amount);
        w.property(&p[3].spec, &self.delivery_charge);
        w.property(&p[4].spec, &self.discount);
    }

    fn write_items(&self, w: &mut ItemsWriter<'_>) {
        w.require_items();
        ItemList::write_items(&self.items, w);
    }

    fn event_datetime(&self) -> Option<Datetime> {
        self.at
    }

    fn event_log_id(&self) -> Option<Uuid> {
        self.log_id
    }
}

/// `df_login`: no properties.
pub struct Login {
    pub log_id: Option<Uuid>,
    pub at: Option<Datetime>,
}

pub static LOGIN: EventDescription = EventDescription {
    name: "df_login",
    rust_name: "Login",
    properties: &[],
    items: None,
};

impl Event for Login {
    fn description() -> &'static EventDescription {
        &LOGIN
    }

    fn event_name(&self) -> &'static str {
        LOGIN.name
    }

    fn write_properties(&self, _: &mut ObjectWriter<'_>) {}

    fn event_datetime(&self) -> Option<Datetime> {
        self.at
    }

    fn event_log_id(&self) -> Option<Uuid> {
        self.log_id
    }
}

/// `df_gender`'s values, as `#[derive(DfineryEnum)]` would implement them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gender {
    Male,
    Female,
    NonBinary,
    Other,
}

impl DfineryEnumValue for Gender {
    const VALUES: &'static [&'static str] = &["Male", "Female", "NonBinary", "Other"];

    fn as_str(&self) -> &'static str {
        match self {
            Gender::Male => "Male",
            Gender::Female => "Female",
            Gender::NonBinary => "NonBinary",
            Gender::Other => "Other",
        }
    }

    fn from_value(value: &str) -> Option<Self> {
        match value {
            "Male" => Some(Gender::Male),
            "Female" => Some(Gender::Female),
            "NonBinary" => Some(Gender::NonBinary),
            "Other" => Some(Gender::Other),
            _ => None,
        }
    }
}

impl_enum_property!(Gender);

/// Standard and custom user properties of the §3.5 examples.
#[derive(Default)]
pub struct Member {
    pub name: Patch<String>,
    pub gender: Patch<Gender>,
    pub birth: Patch<Date>,
    pub membership: Patch<&'static str>,
    pub push_ads_optin: Option<bool>,
    pub sms_ads_optin: Option<bool>,
    pub favorite_brands: Option<Vec<String>>,
    pub lifetime_points: Option<i64>,
    pub avg_basket: Option<f64>,
}

pub static MEMBER: PropertiesDescription = PropertiesDescription {
    rust_name: "Member",
    properties: &[
        FieldDescription {
            rust_field: "name",
            spec: user("df_name", DataType::String),
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "gender",
            spec: PropertySpec {
                enum_values: Gender::VALUES,
                ..user("df_gender", DataType::String)
            },
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "birth",
            spec: user("df_birth", DataType::Date),
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "membership",
            spec: user("df_membership", DataType::String),
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "push_ads_optin",
            spec: user("df_push_ads_optin", DataType::Boolean),
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "sms_ads_optin",
            spec: user("df_sms_ads_optin", DataType::Boolean),
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "favorite_brands",
            spec: user("favorite_brands", DataType::StringArray),
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "lifetime_points",
            spec: user("lifetime_points", DataType::Long),
            absent: true,
            values: &[],
        },
        FieldDescription {
            rust_field: "avg_basket",
            spec: user("avg_basket", DataType::Double),
            absent: true,
            values: &[],
        },
    ],
};

impl Profile for Member {
    fn description() -> &'static PropertiesDescription {
        &MEMBER
    }

    fn write_user_properties(&self, w: &mut ObjectWriter<'_>) {
        let p = MEMBER.properties;
        w.property(&p[0].spec, &self.name);
        w.property(&p[1].spec, &self.gender);
        w.property(&p[2].spec, &self.birth);
        w.property(&p[3].spec, &self.membership);
        w.property(&p[4].spec, &self.push_ads_optin);
        w.property(&p[5].spec, &self.sms_ads_optin);
        w.property(&p[6].spec, &self.favorite_brands);
        w.property(&p[7].spec, &self.lifetime_points);
        w.property(&p[8].spec, &self.avg_basket);
    }
}

/// The `df_purchase` of the §3.2 example.
pub fn documented_purchase() -> Purchase {
    Purchase {
        log_id: Some("5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b".parse().unwrap()),
        at: Some("2024-06-24T06:01:48.501Z".parse().unwrap()),
        order_id: "ORDER-123".into(),
        payment_method: "BankTransfer".into(),
        total_purchase_amount: 9000.0,
        delivery_charge: 3000.0,
        discount: 0.0,
        items: vec![LineItem {
            id: "SKU-001".into(),
            name: "Cracker".into(),
            price: 5000.0,
            quantity: 2,
            discount: 500.0,
            category1: Some("Food".into()),
            category2: Some("Snack".into()),
        }],
    }
}

/// The `df_login` of the §3.2 example.
pub fn documented_login() -> Login {
    Login {
        log_id: Some("9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b".parse().unwrap()),
        at: Some("2024-06-24T06:00:00.000Z".parse().unwrap()),
    }
}
