-- The visit time the record's reminder workflow (`reminder-<record_id>`) was last told,
-- NULL when none runs. Visits whose reminders are out of step with their time (new,
-- moved, deleted, coming into the reminder window) are found by comparing the two.
ALTER TABLE bookings ADD COLUMN reminder_for TIMESTAMPTZ;

CREATE INDEX idx_bookings_reminders ON bookings (company_id, datetime)
    WHERE reminder_for IS NOT NULL OR COALESCE(status, '') <> 'deleted';
