pub mod blaxel;
pub mod sandbox;
