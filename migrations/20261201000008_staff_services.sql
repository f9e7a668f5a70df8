-- Which masters do which service, as YClients lists them with each service (its
-- `staff` array). Written whole per service by the services sync; a service with no
-- rows here is taken as done by every master (YClients did not say).
CREATE TABLE staff_services (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    service_yclients_id BIGINT NOT NULL,
    staff_yclients_id BIGINT NOT NULL,
    PRIMARY KEY (company_id, service_yclients_id, staff_yclients_id)
);
