package io.asterline.outbound;

import static io.asterline.db.generated.Tables.JOURNEY;
import static io.asterline.db.generated.Tables.JOURNEY_NODE;
import static io.asterline.db.generated.Tables.JOURNEY_RUN;
import static io.asterline.db.generated.Tables.JOURNEY_SCHEDULED_CALL;
import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.currentOffsetDateTime;
import static org.jooq.impl.DSL.max;
import static org.jooq.impl.DSL.noCondition;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Record;

/** Journeys and their ordered nodes as stored; a node's config is kept as the JSON object it was given. */
public final class JourneyRepository {

  public record Node(long id, long journeyId, int position, String type, String config, OffsetDateTime createdAt,
      OffsetDateTime updatedAt) {}

  public record Journey(long id, long tenantId, String name, OffsetDateTime createdAt, OffsetDateTime updatedAt,
      List<Node> nodes) {}

  /** A node to store: {@code position} null appends it after the last one. */
  public record NewNode(String type, String config, Integer position) {}

  private final DSLContext dsl;

  public JourneyRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  public Journey create(long tenantId, String name, List<NewNode> nodes) {
    long id = dsl.transactionResult(tx -> {
      DSLContext t = tx.dsl();
      long journeyId = t.insertInto(JOURNEY)
          .set(JOURNEY.TENANT_ID, tenantId)
          .set(JOURNEY.NAME, name)
          .returningResult(JOURNEY.ID)
          .fetchOne(JOURNEY.ID);
      int next = 0;
      for (NewNode n : nodes) {
        int position = n.position() != null ? n.position() : next;
        next = Math.max(next, position) + 1;
        t.insertInto(JOURNEY_NODE)
            .set(JOURNEY_NODE.JOURNEY_ID, journeyId)
            .set(JOURNEY_NODE.POSITION, position)
            .set(JOURNEY_NODE.TYPE, n.type())
            .set(JOURNEY_NODE.CONFIG, JSONB.valueOf(n.config()))
            .execute();
      }
      return journeyId;
    });
    return find(id).orElseThrow();
  }

  public Optional<Journey> find(long id) {
    return dsl.selectFrom(JOURNEY).where(JOURNEY.ID.eq(id)).fetchOptional()
        .map(j -> new Journey(j.getId(), j.getTenantId(), j.getName(), j.getCreatedAt(), j.getUpdatedAt(),
            nodes(id)));
  }

  /** The tenant's journeys (all tenants' for null), newest first, without their nodes. */
  public List<Journey> list(Long tenantId, int limit) {
    return dsl.selectFrom(JOURNEY)
        .where(tenantId == null ? noCondition() : JOURNEY.TENANT_ID.eq(tenantId))
        .orderBy(JOURNEY.ID.desc())
        .limit(limit)
        .fetch(j -> new Journey(j.getId(), j.getTenantId(), j.getName(), j.getCreatedAt(), j.getUpdatedAt(), List.of()));
  }

  public boolean rename(long id, String name) {
    return dsl.update(JOURNEY).set(JOURNEY.NAME, name).set(JOURNEY.UPDATED_AT, currentOffsetDateTime())
        .where(JOURNEY.ID.eq(id)).execute() == 1;
  }

  /** Deletes the journey and its nodes; calls it placed keep their rows (their journey link is cleared). */
  public boolean delete(long id) {
    return dsl.deleteFrom(JOURNEY).where(JOURNEY.ID.eq(id)).execute() == 1;
  }

  /** Nodes in the order a run executes them: by position, equal positions in creation order. */
  public List<Node> nodes(long journeyId) {
    return dsl.selectFrom(JOURNEY_NODE)
        .where(JOURNEY_NODE.JOURNEY_ID.eq(journeyId))
        .orderBy(JOURNEY_NODE.POSITION, JOURNEY_NODE.ID)
        .fetch(JourneyRepository::node);
  }

  public Optional<Node> node(long journeyId, long nodeId) {
    return dsl.selectFrom(JOURNEY_NODE)
        .where(JOURNEY_NODE.ID.eq(nodeId)).and(JOURNEY_NODE.JOURNEY_ID.eq(journeyId))
        .fetchOptional(JourneyRepository::node);
  }

  /** Adds a node at {@code position} (the nodes from there on move one down), or after the last one. */
  public Node addNode(long journeyId, NewNode n) {
    long id = dsl.transactionResult(tx -> {
      DSLContext t = tx.dsl();
      // first: locks the journey row, so concurrent edits of one journey's order take turns
      touch(t, journeyId);
      int position;
      if (n.position() != null) {
        position = n.position();
        makeRoom(t, journeyId, position, null);
      } else {
        position = t.select(coalesce(max(JOURNEY_NODE.POSITION).plus(1), 0)).from(JOURNEY_NODE)
            .where(JOURNEY_NODE.JOURNEY_ID.eq(journeyId)).fetchOne().value1();
      }
      return t.insertInto(JOURNEY_NODE)
          .set(JOURNEY_NODE.JOURNEY_ID, journeyId)
          .set(JOURNEY_NODE.POSITION, position)
          .set(JOURNEY_NODE.TYPE, n.type())
          .set(JOURNEY_NODE.CONFIG, JSONB.valueOf(n.config()))
          .returningResult(JOURNEY_NODE.ID)
          .fetchOne(JOURNEY_NODE.ID);
    });
    return node(journeyId, id).orElseThrow();
  }

  /**
   * Changes the given parts (null = keep); a new position moves the node before the one that held it. Empty
   * when the node is not in this journey.
   */
  public Optional<Node> updateNode(long journeyId, long nodeId, String type, String config, Integer position) {
    int changed = dsl.transactionResult(tx -> {
      DSLContext t = tx.dsl();
      touch(t, journeyId);
      if (position != null) {
        makeRoom(t, journeyId, position, nodeId);
      }
      var update = t.update(JOURNEY_NODE).set(JOURNEY_NODE.UPDATED_AT, currentOffsetDateTime());
      if (type != null) {
        update = update.set(JOURNEY_NODE.TYPE, type);
      }
      if (config != null) {
        update = update.set(JOURNEY_NODE.CONFIG, JSONB.valueOf(config));
      }
      if (position != null) {
        update = update.set(JOURNEY_NODE.POSITION, position);
      }
      return update.where(JOURNEY_NODE.ID.eq(nodeId)).and(JOURNEY_NODE.JOURNEY_ID.eq(journeyId)).execute();
    });
    return changed == 1 ? node(journeyId, nodeId) : Optional.empty();
  }

  private static void makeRoom(DSLContext t, long journeyId, int position, Long except) {
    t.update(JOURNEY_NODE)
        .set(JOURNEY_NODE.POSITION, JOURNEY_NODE.POSITION.plus(1))
        .where(JOURNEY_NODE.JOURNEY_ID.eq(journeyId)).and(JOURNEY_NODE.POSITION.ge(position))
        .and(except == null ? noCondition() : JOURNEY_NODE.ID.ne(except))
        .execute();
  }

  public boolean deleteNode(long journeyId, long nodeId) {
    return dsl.transactionResult(tx -> {
      int n = tx.dsl().deleteFrom(JOURNEY_NODE)
          .where(JOURNEY_NODE.ID.eq(nodeId)).and(JOURNEY_NODE.JOURNEY_ID.eq(journeyId)).execute();
      touch(tx.dsl(), journeyId);
      return n == 1;
    });
  }

  public long createRun(long journeyId, long tenantId, Long leadId, String toNumber) {
    return dsl.insertInto(JOURNEY_RUN)
        .set(JOURNEY_RUN.JOURNEY_ID, journeyId)
        .set(JOURNEY_RUN.TENANT_ID, tenantId)
        .set(JOURNEY_RUN.LEAD_ID, leadId)
        .set(JOURNEY_RUN.TO_NUMBER, toNumber)
        .returningResult(JOURNEY_RUN.ID)
        .fetchOne(JOURNEY_RUN.ID);
  }

  /** A journey node's call held for its calling window's next opening, as the poller claimed it. */
  public record ScheduledCall(long id, long runId, long nodeId, long tenantId, long journeyId, Long leadId,
      String toNumber, OffsetDateTime dueAt) {}

  /** How long a claim may stay in 'placing' before another poller takes it over. */
  static final java.time.Duration ORPHANED_CLAIM = java.time.Duration.ofMinutes(10);

  /** Holds a node's call for {@code dueAt}; a second schedule of the same run and node changes nothing. */
  public void schedule(long runId, long nodeId, long tenantId, Instant dueAt) {
    dsl.insertInto(JOURNEY_SCHEDULED_CALL)
        .set(JOURNEY_SCHEDULED_CALL.RUN_ID, runId)
        .set(JOURNEY_SCHEDULED_CALL.NODE_ID, nodeId)
        .set(JOURNEY_SCHEDULED_CALL.TENANT_ID, tenantId)
        .set(JOURNEY_SCHEDULED_CALL.DUE_AT, dueAt.atOffset(ZoneOffset.UTC))
        .onConflictDoNothing()
        .execute();
  }

  /**
   * Claims up to {@code limit} calls due at {@code now} in one statement: each moves from scheduled to placing for
   * exactly one poller, however many nodes poll at once.
   */
  public List<ScheduledCall> claimDue(Instant now, int limit) {
    var due = dsl.select(JOURNEY_SCHEDULED_CALL.ID).from(JOURNEY_SCHEDULED_CALL)
        .where(JOURNEY_SCHEDULED_CALL.STATE.eq("scheduled")
            .and(JOURNEY_SCHEDULED_CALL.DUE_AT.le(now.atOffset(ZoneOffset.UTC))))
        // claimed by a node that died before placing it: placement takes seconds, so after this it is orphaned
        .or(JOURNEY_SCHEDULED_CALL.STATE.eq("placing")
            .and(JOURNEY_SCHEDULED_CALL.CLAIMED_AT.lt(now.minus(ORPHANED_CLAIM).atOffset(ZoneOffset.UTC))))
        .orderBy(JOURNEY_SCHEDULED_CALL.DUE_AT)
        .limit(limit)
        .forUpdate().skipLocked();
    List<Long> ids = dsl.update(JOURNEY_SCHEDULED_CALL)
        .set(JOURNEY_SCHEDULED_CALL.STATE, "placing")
        .set(JOURNEY_SCHEDULED_CALL.CLAIMED_AT, now.atOffset(ZoneOffset.UTC))
        .where(JOURNEY_SCHEDULED_CALL.ID.in(due))
        .returningResult(JOURNEY_SCHEDULED_CALL.ID)
        .fetch(JOURNEY_SCHEDULED_CALL.ID);
    if (ids.isEmpty()) {
      return List.of();
    }
    return dsl.select(JOURNEY_SCHEDULED_CALL.ID, JOURNEY_SCHEDULED_CALL.RUN_ID, JOURNEY_SCHEDULED_CALL.NODE_ID,
            JOURNEY_SCHEDULED_CALL.TENANT_ID, JOURNEY_RUN.JOURNEY_ID, JOURNEY_RUN.LEAD_ID, JOURNEY_RUN.TO_NUMBER,
            JOURNEY_SCHEDULED_CALL.DUE_AT)
        .from(JOURNEY_SCHEDULED_CALL).join(JOURNEY_RUN).on(JOURNEY_RUN.ID.eq(JOURNEY_SCHEDULED_CALL.RUN_ID))
        .where(JOURNEY_SCHEDULED_CALL.ID.in(ids))
        .orderBy(JOURNEY_SCHEDULED_CALL.DUE_AT)
        .fetch(r -> new ScheduledCall(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(), r.value6(),
            r.value7(), r.value8()));
  }

  /** The claimed call left: placed as {@code callId}, or refused with {@code error} (callId may be null). */
  public void scheduledDone(long id, UUID callId, String error) {
    dsl.update(JOURNEY_SCHEDULED_CALL)
        .set(JOURNEY_SCHEDULED_CALL.STATE, error == null ? "placed" : "refused")
        .set(JOURNEY_SCHEDULED_CALL.CALL_ID, callId)
        .set(JOURNEY_SCHEDULED_CALL.ERROR, error)
        .where(JOURNEY_SCHEDULED_CALL.ID.eq(id))
        .execute();
  }

  /** The claimed call goes back to wait until {@code dueAt} (its window closed again, or AMI is down). */
  public void reschedule(long id, Instant dueAt) {
    dsl.update(JOURNEY_SCHEDULED_CALL)
        .set(JOURNEY_SCHEDULED_CALL.STATE, "scheduled")
        .set(JOURNEY_SCHEDULED_CALL.DUE_AT, dueAt.atOffset(ZoneOffset.UTC))
        .where(JOURNEY_SCHEDULED_CALL.ID.eq(id))
        .execute();
  }

  private static void touch(DSLContext t, long journeyId) {
    t.update(JOURNEY).set(JOURNEY.UPDATED_AT, currentOffsetDateTime()).where(JOURNEY.ID.eq(journeyId)).execute();
  }

  private static Node node(Record r) {
    return new Node(r.get(JOURNEY_NODE.ID), r.get(JOURNEY_NODE.JOURNEY_ID), r.get(JOURNEY_NODE.POSITION),
        r.get(JOURNEY_NODE.TYPE), r.get(JOURNEY_NODE.CONFIG).data(), r.get(JOURNEY_NODE.CREATED_AT),
        r.get(JOURNEY_NODE.UPDATED_AT));
  }
}
