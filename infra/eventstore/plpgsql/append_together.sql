-- Installed by infra.eventstore.recorders.PostgresSalesRecorder (see its docstrings). Each line
-- joins the next with one space, so the installed text is the one stores have had since
-- f177836; {names} are filled in by psycopg's SQL.format, {{}} is a literal {}.
CREATE OR REPLACE FUNCTION {function}(ids {id_type}[], versions bigint[],
topics text[], states bytea[], event_groups int[], claim_keys text[],
claim_records text[], claim_groups int[], read_ids {id_type}[],
read_versions bigint[], read_groups int[])
RETURNS TABLE (group_number int, stored_position bigint)
LANGUAGE plpgsql {plan_once} AS $body$
DECLARE losers int[];
BEGIN
SET LOCAL lock_timeout = '{lock_timeout}s';
LOCK TABLE {table} IN EXCLUSIVE MODE;
NOTIFY {channel};
SELECT coalesce(array_agg(DISTINCT x.g), '{{}}') INTO losers FROM (
  SELECT r.g FROM unnest(read_ids, read_versions, read_groups) AS r(id, version, g)
    JOIN {table} t ON t.originator_id = r.id AND t.originator_version = r.version + 1
  UNION ALL
  SELECT e.g FROM unnest(ids, versions, event_groups) AS e(id, version, g)
    JOIN {table} t ON t.originator_id = e.id AND t.originator_version = e.version
  UNION ALL
  SELECT c.g FROM unnest(claim_keys, claim_groups) AS c(key, g)
    JOIN {keys} k ON k.key = c.key) x;
INSERT INTO {keys} (key, record_id) SELECT c.key, c.record
  FROM unnest(claim_keys, claim_records, claim_groups) AS c(key, record, g)
  WHERE NOT c.g = ANY(losers);
RETURN QUERY WITH inserted AS (INSERT INTO {table} AS t
    (originator_id, originator_version, topic, state)
    SELECT e.id, e.version, e.topic, e.state FROM unnest(ids, versions, topics,
      states, event_groups) WITH ORDINALITY AS e(id, version, topic, state, g, n)
    WHERE NOT e.g = ANY(losers) ORDER BY e.n
    RETURNING t.originator_id, t.originator_version, t.notification_id)
  SELECT e.g, i.notification_id FROM inserted i
    JOIN unnest(ids, versions, event_groups) AS e(id, version, g)
    ON e.id = i.originator_id AND e.version = i.originator_version
  ORDER BY i.notification_id;
RETURN QUERY SELECT g, NULL::bigint FROM unnest(losers) AS g;
END $body$
