//! Online booking in the simulator, as YClients' booking API behaves: free times of a
//! master (or of any master) for a service on a day, checking and making bookings (a
//! taken time is refused with code 433), moving and cancelling records. Like YClients,
//! it does not deduplicate by `api_id`: making a retried booking harmless is the
//! caller's job, and the tests hold the product to it.

use super::seed::{Client, Record, Salon};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Free times are offered every this many minutes.
pub const STEP_MINUTES: u32 = 30;

/// Why a booking or a move was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The time is taken or outside the master's hours (YClients' code 433).
    Taken,
    /// No such service, master or record.
    Unknown(&'static str),
}

/// One visit to book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    /// The service's YClients id; its length is how long the master must be free.
    pub service_id: i64,
    /// Master; 0 = any free one.
    pub staff_id: i64,
    /// Local start.
    pub at: NaiveDateTime,
}

/// A free time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeTime {
    /// Local start.
    pub at: NaiveDateTime,
    /// A master free then.
    pub staff_id: i64,
    /// Length of the service, seconds.
    pub seance_length: u32,
}

fn minutes(time: NaiveTime) -> u32 {
    time.hour() * 60 + time.minute()
}

impl Salon {
    /// Minutes the service takes (an hour when unknown).
    pub fn duration_of(&self, service_id: i64) -> u32 {
        self.services
            .iter()
            .find(|s| s.id == service_id)
            .map_or(60, |s| s.duration_minutes)
    }

    /// Whether `staff_id` works through `[at, at + length)` and has no other visit then.
    pub fn is_free(
        &self,
        staff_id: i64,
        at: NaiveDateTime,
        length: u32,
        except: Option<i64>,
    ) -> bool {
        let (day, start) = (at.date(), minutes(at.time()));
        let end = start + length;
        let works = self.schedules.iter().any(|d| {
            d.staff_id == staff_id
                && d.date == day
                && minutes(d.from) <= start
                && end <= minutes(d.to)
        });
        works
            && !self.records.iter().any(|r| {
                let other_start = minutes(r.time);
                let other_end = other_start + self.duration_of(r.service_id);
                !r.deleted
                    && Some(r.id) != except
                    && r.staff_id == staff_id
                    && r.date == day
                    && start < other_end
                    && other_start < end
            })
    }

    /// Free times for the service on `date` with `staff_id` (0 = any master), in order.
    pub fn free_times(&self, staff_id: i64, date: NaiveDate, service_id: i64) -> Vec<FreeTime> {
        let length = self.duration_of(service_id);
        let masters: Vec<i64> = self
            .staff
            .iter()
            .filter(|s| (staff_id == 0 || s.id == staff_id) && s.does(service_id))
            .map(|s| s.id)
            .collect();
        let mut times: Vec<FreeTime> = Vec::new();
        for minute in (0..24 * 60).step_by(STEP_MINUTES as usize) {
            let Some(time) = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0) else {
                continue;
            };
            let at = date.and_time(time);
            if let Some(&master) = masters.iter().find(|m| self.is_free(**m, at, length, None)) {
                times.push(FreeTime {
                    at,
                    staff_id: master,
                    seance_length: length * 60,
                });
            }
        }
        times
    }

    /// The master who would take the appointment, or why none can.
    pub fn check(&self, appointment: &Appointment, except: Option<i64>) -> Result<i64, Refusal> {
        if !self.services.iter().any(|s| s.id == appointment.service_id) {
            return Err(Refusal::Unknown("service"));
        }
        let length = self.duration_of(appointment.service_id);
        if appointment.staff_id == 0 {
            return self
                .staff
                .iter()
                .filter(|s| s.does(appointment.service_id))
                .map(|s| s.id)
                .find(|m| self.is_free(*m, appointment.at, length, except))
                .ok_or(Refusal::Taken);
        }
        match self.staff.iter().find(|s| s.id == appointment.staff_id) {
            None => return Err(Refusal::Unknown("staff")),
            Some(master) if !master.does(appointment.service_id) => return Err(Refusal::Taken),
            Some(_) => {}
        }
        if self.is_free(appointment.staff_id, appointment.at, length, except) {
            Ok(appointment.staff_id)
        } else {
            Err(Refusal::Taken)
        }
    }

    /// The client with this phone (digits), created when new.
    pub fn client_by_phone(&mut self, phone: &str, name: &str) -> i64 {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if let Some(client) = self.clients.iter().find(|c| c.phone == digits) {
            return client.id;
        }
        let id = self
            .clients
            .iter()
            .map(|c| c.id)
            .max()
            .unwrap_or(self.id * 1_000)
            + 1;
        self.clients.push(Client {
            id,
            name: if name.trim().is_empty() {
                "Клиент".to_owned()
            } else {
                name.trim().to_owned()
            },
            phone: digits,
            visits: 0,
        });
        id
    }

    /// Books every appointment or none; the new record ids.
    pub fn book(
        &mut self,
        phone: &str,
        name: &str,
        appointments: &[Appointment],
        api_id: Option<String>,
    ) -> Result<Vec<i64>, Refusal> {
        let masters = appointments
            .iter()
            .map(|a| self.check(a, None))
            .collect::<Result<Vec<_>, _>>()?;
        let client_id = self.client_by_phone(phone, name);
        let mut ids = Vec::new();
        for (appointment, staff_id) in appointments.iter().zip(masters) {
            let id = self.next_record_id();
            self.records.push(Record {
                id,
                staff_id,
                service_id: appointment.service_id,
                client_id,
                date: appointment.at.date(),
                time: appointment.at.time(),
                api_id: api_id.clone(),
                attendance: 0,
                deleted: false,
            });
            ids.push(id);
        }
        Ok(ids)
    }

    fn next_record_id(&self) -> i64 {
        self.records
            .iter()
            .map(|r| r.id)
            .max()
            .unwrap_or(self.id * 1_000_000)
            + 1
    }

    /// Moves a record (master and service may change too).
    pub fn move_record(&mut self, record_id: i64, to: &Appointment) -> Result<(), Refusal> {
        let index = self
            .records
            .iter()
            .position(|r| r.id == record_id && !r.deleted)
            .ok_or(Refusal::Unknown("record"))?;
        let record = &self.records[index];
        let unmoved = record.date == to.at.date()
            && record.time == to.at.time()
            && record.service_id == to.service_id
            && (to.staff_id == 0 || to.staff_id == record.staff_id);
        if unmoved {
            // A PUT that keeps the visit where it is (e.g. a confirmation) only changes
            // its details: YClients does not re-check the schedule.
            return Ok(());
        }
        let staff_id = self.check(to, Some(record_id))?;
        let record = &mut self.records[index];
        record.staff_id = staff_id;
        record.service_id = to.service_id;
        record.date = to.at.date();
        record.time = to.at.time();
        Ok(())
    }

    /// Cancels a record; false when there is no such live record.
    pub fn cancel_record(&mut self, record_id: i64) -> bool {
        match self
            .records
            .iter_mut()
            .find(|r| r.id == record_id && !r.deleted)
        {
            Some(record) => {
                record.deleted = true;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::seed::SalonSize;
    use super::*;

    fn salon() -> Salon {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut salon = Salon::generate(5_000_001, "Тест", "Europe/Moscow", SalonSize::DEMO, today);
        salon.records.clear();
        salon
    }

    #[test]
    fn a_booked_time_is_no_longer_free_and_cannot_be_booked_twice() {
        let mut salon = salon();
        let day = salon.schedules[0].clone();
        let service = salon.services[0].id;
        let at = day.date.and_time(day.from);
        let appointment = Appointment {
            service_id: service,
            staff_id: day.staff_id,
            at,
        };
        assert!(
            salon
                .free_times(day.staff_id, day.date, service)
                .iter()
                .any(|t| t.at == at)
        );

        let ids = salon
            .book(
                "+7 900 111-22-33",
                "Ольга",
                std::slice::from_ref(&appointment),
                Some("bot-1".into()),
            )
            .unwrap();

        assert_eq!(ids.len(), 1);
        assert!(
            !salon
                .free_times(day.staff_id, day.date, service)
                .iter()
                .any(|t| t.at == at)
        );
        assert_eq!(
            salon.book("79001112233", "Ольга", &[appointment], None),
            Err(Refusal::Taken)
        );
        let client = salon
            .clients
            .iter()
            .find(|c| c.phone == "79001112233")
            .unwrap();
        assert_eq!(client.name, "Ольга");
    }

    #[test]
    fn records_move_and_cancel_and_any_master_finds_a_free_one() {
        let mut salon = salon();
        let day = salon.schedules[0].clone();
        let service = salon.services[0].id;
        let at = day.date.and_time(day.from);
        let any = Appointment {
            service_id: service,
            staff_id: 0,
            at,
        };
        let id = salon
            .book("79001112233", "", std::slice::from_ref(&any), None)
            .unwrap()[0];
        let later = Appointment {
            at: at + chrono::Duration::hours(2),
            ..any.clone()
        };
        salon.move_record(id, &later).unwrap();
        assert_eq!(salon.records[0].time, later.at.time());
        assert!(salon.cancel_record(id));
        assert!(!salon.cancel_record(id));
        assert_eq!(salon.move_record(id, &any), Err(Refusal::Unknown("record")));
    }

    #[test]
    fn a_put_that_keeps_the_visit_in_place_is_not_rechecked_but_a_move_is() {
        let mut salon = salon();
        let day = salon.schedules[0].clone();
        let service = salon.services[0].id;
        // A visit at 23:00, outside every master's hours (entered by hand in YClients).
        let late = day
            .date
            .and_time(chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap());
        let client_id = salon.clients[0].id;
        salon.records.push(super::super::seed::Record {
            id: 77,
            staff_id: day.staff_id,
            service_id: service,
            client_id,
            date: late.date(),
            time: late.time(),
            api_id: None,
            attendance: 0,
            deleted: false,
        });
        let same = Appointment {
            service_id: service,
            staff_id: day.staff_id,
            at: late,
        };

        // Confirming it (same place) is fine; moving it to another closed hour is not.
        assert_eq!(salon.move_record(77, &same), Ok(()));
        let later = Appointment {
            at: late + chrono::Duration::minutes(30),
            ..same
        };
        assert!(salon.move_record(77, &later).is_err());
    }
}
