-- Installed by infra.eventstore.recorders.PostgresSalesRecorder (see its docstrings). Each line
-- joins the next with one space, so the installed text is the one stores have had since
-- f177836; {names} are filled in by psycopg's SQL.format, {{}} is a literal {}.
CREATE OR REPLACE FUNCTION {function}(ids {id_type}[], versions bigint[],
topics text[], states bytea[], event_ends int[], claim_keys text[],
claim_records text[], claim_ends int[], read_ids {id_type}[], read_versions bigint[],
read_ends int[])
RETURNS TABLE (group_number int, stored_position bigint)
LANGUAGE plpgsql {plan_once} AS $body$
DECLARE e0 int := 1; c0 int := 1; r0 int := 1; stored bigint[];
BEGIN
SET LOCAL lock_timeout = '{lock_timeout}s';
LOCK TABLE {table} IN EXCLUSIVE MODE;
NOTIFY {channel};
FOR g IN 1 .. coalesce(array_length(event_ends, 1), 0) LOOP
  BEGIN
    IF EXISTS (SELECT 1 FROM {table} t JOIN unnest(read_ids[r0:read_ends[g]],
        read_versions[r0:read_ends[g]]) AS r(id, version)
        ON t.originator_id = r.id AND t.originator_version = r.version + 1) THEN
      RAISE unique_violation USING MESSAGE = 'a stream it read has changed';
    END IF;
    INSERT INTO {keys} (key, record_id) SELECT * FROM
      unnest(claim_keys[c0:claim_ends[g]], claim_records[c0:claim_ends[g]]);
    WITH inserted AS (INSERT INTO {table} AS t
      (originator_id, originator_version, topic, state) SELECT * FROM
      unnest(ids[e0:event_ends[g]], versions[e0:event_ends[g]],
             topics[e0:event_ends[g]], states[e0:event_ends[g]])
      RETURNING t.notification_id)
    SELECT array_agg(notification_id ORDER BY notification_id) INTO stored
      FROM inserted;
    RETURN QUERY SELECT g, unnest(stored);
  EXCEPTION WHEN unique_violation THEN
    RETURN QUERY SELECT g, NULL::bigint;
  END;
  e0 := event_ends[g] + 1; c0 := claim_ends[g] + 1; r0 := read_ends[g] + 1;
END LOOP;
END $body$
