-- Every hand-off moves a delivery from pending to claimed to sent. Two indexes held its
-- status as a column, so each step moved its entry in both, and for an alert to 100,000
-- people the database's work, not the providers', bounded the rate. Due and claimed rows
-- are now each in an index of their state only (a sent delivery, nearly all of them in
-- time, is in neither), and a reply is matched by its number alone (a number has a
-- handful of deliveries).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_pending ON deliveries (due_at) WHERE status = 'pending';
CREATE INDEX deliveries_claimed ON deliveries (claimed_until) WHERE status = 'claimed';
DROP INDEX deliveries_reply;
CREATE INDEX deliveries_reply ON deliveries (channel, address);
