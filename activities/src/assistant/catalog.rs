//! What the assistant knows of a salon: its active services (with category, prices,
//! length), masters and synonyms, and the masters' working hours. Read per turn from the
//! synced tables ([`crate::db::assistant_views`]), so a price changed in YClients is what
//! the next answer says.

/// A bookable service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInfo {
    /// YClients' id, the one free-time and booking requests name.
    pub yclients_id: i64,
    /// As on the price list; what the client's words for a service are matched to.
    pub title: String,
    /// Category name, when known.
    pub category: Option<String>,
    /// Lowest price, ₽.
    pub price_min: Option<f64>,
    /// Highest price, ₽.
    pub price_max: Option<f64>,
    /// Length in minutes (YClients counts seconds); a booking made by the bot lasts it.
    pub duration: Option<i32>,
    /// What it is, as the salon describes it.
    pub description: Option<String>,
}

impl ServiceInfo {
    /// «2000 ₽», «от 1500 до 2500 ₽», or «цена по запросу».
    pub fn price_text(&self) -> String {
        let rub = |v: f64| format!("{v:.0}");
        match (self.price_min, self.price_max) {
            (Some(min), Some(max)) if max > min => format!("от {} до {} ₽", rub(min), rub(max)),
            (Some(min), _) if min > 0.0 => format!("{} ₽", rub(min)),
            (_, Some(max)) if max > 0.0 => format!("{} ₽", rub(max)),
            _ => "цена по запросу".to_owned(),
        }
    }
}

/// A master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffInfo {
    /// YClients' id, the one free-time and booking requests name.
    pub yclients_id: i64,
    /// As the salon lists them; what a master the client names is matched to.
    pub name: String,
    /// What they do.
    pub specialization: Option<String>,
    /// The services YClients lists them for (YClients ids).
    pub services: Vec<i64>,
}

/// A salon's services and masters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    /// Active services by name.
    pub services: Vec<ServiceInfo>,
    /// Active masters by name.
    pub staff: Vec<StaffInfo>,
    /// How the salon's clients name its services.
    pub words: super::synonyms::Synonyms,
}

impl Catalog {
    /// Whether `master` does the service `service_id`: a service YClients lists no master
    /// for is taken as done by all.
    pub fn does(&self, master: &StaffInfo, service_id: i64) -> bool {
        master.services.contains(&service_id)
            || !self.staff.iter().any(|m| m.services.contains(&service_id))
    }

    /// The masters who do the service `service_id`.
    pub fn masters_for(&self, service_id: i64) -> Vec<&StaffInfo> {
        self.staff
            .iter()
            .filter(|m| self.does(m, service_id))
            .collect()
    }
}

/// One master's working interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    /// The day in the salon's calendar.
    pub date: chrono::NaiveDate,
    /// Start, the salon's local time.
    pub from: chrono::NaiveTime,
    /// End, the salon's local time; after `from`.
    pub to: chrono::NaiveTime,
}

impl WorkingHours {
    /// «02.12 (среда) с 09:00 до 21:00».
    pub fn text(&self) -> String {
        format!(
            "{} с {} до {}",
            super::dates::day_text(self.date),
            self.from.format("%H:%M"),
            self.to.format("%H:%M")
        )
    }
}
