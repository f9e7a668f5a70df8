//! What the assistant tests share: a YClients client without a rate limit, a
//! registered, fully synced salon with its catalog, and a fixture around both.

use ai_admin_activities::acts::conversation::lookup::Salon;
use ai_admin_activities::assistant::catalog::Catalog;
use ai_admin_activities::clients::yclients::{
    FreeTime, HttpYClients, RateLimiter, YClients, YClientsConfig,
};
use ai_admin_activities::db::assistant_views as catalog;
use ai_admin_activities::domain::SalonId;
use ai_admin_activities::secret::Secret;
use ai_admin_simulators::yclients::Salon as SimSalon;
use ai_admin_simulators::yclients::seed::{Staff, WorkingDay};
use ai_admin_tests::{AppOptions, TestApp, spawn_app, spawn_app_with};
use chrono::{Days, NaiveDate, Utc};
use std::sync::Arc;
use std::time::Duration;

/// The salon's own WhatsApp number in the tests.
pub const OWNER_PHONE: &str = "79001110000";

/// The real YClients client, pointed at `base_url`, with no rate limit.
pub fn yclients_client(base_url: String, partner_token: Secret) -> HttpYClients {
    HttpYClients::new(
        YClientsConfig {
            base_url,
            partner_token,
            user_token: None,
            timeout: Duration::from_secs(5),
            brand: Default::default(),
        },
        Arc::new(RateLimiter::per_second(0.0)),
    )
    .unwrap()
}

/// The real YClients client, pointed at the app's simulator.
pub fn app_yclients(app: &TestApp) -> HttpYClients {
    yclients_client(
        app.yclients.base_url(),
        app.config.yclients.partner_token.clone(),
    )
}

/// A new demo salon, registered and fully synced: its id, company row id and catalog.
pub async fn synced_salon(app: &TestApp, title: &str) -> (SalonId, i64, Catalog) {
    let salon_id = app.add_salon(title);
    app.register(salon_id).await;
    app.sync(salon_id, Vec::new()).await;
    let (company_id, catalog) = company_and_catalog(app, salon_id).await;
    (salon_id, company_id, catalog)
}

/// The salon's company row id and its synced catalog.
async fn company_and_catalog(app: &TestApp, salon_id: SalonId) -> (i64, Catalog) {
    let company_id: i64 = sqlx::query_scalar("SELECT id FROM companies WHERE yclients_id = $1")
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap();
    (
        company_id,
        catalog::load(&app.db, company_id).await.unwrap(),
    )
}

/// An app with one synced demo salon, and what the command tests need around it.
pub struct Fixture {
    /// The app.
    pub app: TestApp,
    /// The real YClients client, at the app's simulator.
    pub yc: HttpYClients,
    /// Its YClients id at the app's simulator, where the commands land.
    pub salon_id: SalonId,
    /// Its company row.
    pub company_id: i64,
    /// Its synced catalog.
    pub catalog: Catalog,
    /// Today in the salon's time zone (Moscow), as the assistant reads «завтра»: after
    /// 21:00 UTC it is already tomorrow there. (The demo schedules start on the UTC day,
    /// so they cover it.)
    pub today: NaiveDate,
}

impl Fixture {
    /// Starts an app with a synced salon called `title`.
    pub async fn new(title: &str) -> Self {
        let app = spawn_app().await;
        let (salon_id, company_id, catalog) = synced_salon(&app, title).await;
        Self::around(app, salon_id, company_id, catalog)
    }

    /// Starts an app with a salon called `title` onboarded the owner's way (WhatsApp
    /// linked to [`OWNER_PHONE`], activated, synced, welcomed): the bot answers its
    /// clients.
    pub async fn active(title: &str, options: AppOptions) -> Self {
        let app = spawn_app_with(options).await;
        let salon_id = app.add_salon(title);
        app.onboard(salon_id, OWNER_PHONE).await;
        app.wait_until_ready(salon_id, Duration::from_secs(90))
            .await;
        let (company_id, catalog) = company_and_catalog(&app, salon_id).await;
        Self::around(app, salon_id, company_id, catalog)
    }

    fn around(app: TestApp, salon_id: SalonId, company_id: i64, catalog: Catalog) -> Self {
        let yc = app_yclients(&app);
        Self {
            app,
            yc,
            salon_id,
            company_id,
            catalog,
            today: Utc::now()
                .with_timezone(&chrono_tz::Europe::Moscow)
                .date_naive(),
        }
    }

    /// Reads the catalog again (after a sync).
    pub async fn reload_catalog(&mut self) {
        self.catalog = catalog::load(&self.app.db, self.company_id).await.unwrap();
    }

    /// Where commands run.
    pub fn salon(&self) -> Salon<'_> {
        Salon {
            db: &self.app.db,
            yclients: &self.yc,
            salon_id: self.salon_id,
            company_id: self.company_id,
            today: self.today,
            // Every time of today counts as ahead: the tests pick their own times.
            now: chrono::NaiveTime::MIN,
            catalog: &self.catalog,
            horizon_days: 90,
            usual: &[],
            most_booked: &[],
        }
    }

    /// The salon as the simulator holds it now.
    pub fn simulated(&self) -> SimSalon {
        self.app
            .yclients
            .state
            .salon(i64::from(self.salon_id.get()))
            .unwrap()
    }

    /// Records the bot made in the simulator (not deleted).
    pub fn bot_records(&self) -> Vec<ai_admin_simulators::yclients::seed::Record> {
        self.simulated()
            .records
            .into_iter()
            .filter(|r| {
                r.api_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("conversation-"))
                    && !r.deleted
            })
            .collect()
    }

    /// A master who works tomorrow, with those hours.
    pub fn tomorrows_master(&self) -> (WorkingDay, Staff) {
        let simulated = self.simulated();
        let tomorrow = self.today + Days::new(1);
        let working = simulated
            .schedules
            .iter()
            .find(|d| d.date == tomorrow)
            .unwrap()
            .clone();
        let master = simulated
            .staff
            .iter()
            .find(|s| s.id == working.staff_id)
            .unwrap()
            .clone();
        (working, master)
    }

    /// Tomorrow's master and their free times for «Стрижка мужская» (an hour long).
    pub async fn free_haircuts_tomorrow(&self) -> (Staff, Vec<FreeTime>) {
        let (_, master) = self.tomorrows_master();
        let haircut = self
            .simulated()
            .services
            .into_iter()
            .find(|s| s.title == "Стрижка мужская")
            .unwrap();
        let tomorrow = self.today + Days::new(1);
        let free = self
            .yc
            .free_times(self.salon_id, master.id, tomorrow, haircut.id)
            .await
            .unwrap();
        (master, free)
    }
}
