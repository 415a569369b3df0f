//! The one macro for enums stored and sent as text (`"pending"`,
//! `"conference"`): `as_str`, `ALL`, `Display`, and `FromStr` with an
//! [`InputError`](crate::input::InputError) that lists the allowed values.

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[doc = concat!("Stored and sent as `", $text, "`.")] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text form used in storage and APIs.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::input::InputError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::input::InputError::UnknownValue {
                        field: stringify!($name),
                        value: other.to_string(),
                        allowed: vec![$($text),+],
                    }),
                }
            }
        }
    };
}
pub(crate) use string_enum;
