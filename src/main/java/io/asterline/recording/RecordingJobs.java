package io.asterline.recording;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.call.CallRepository;
import io.asterline.db.generated.tables.records.RecordingJobRecord;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The recording job queue in PostgreSQL. Every change a worker makes is guarded by the lease token it got
 * when it claimed the job, so a worker that stalled past its lease (and whose job another worker took)
 * cannot write anything any more.
 */
public final class RecordingJobs {

  /** The states a job can be in, as stored: {@link RecordingJobState}. */
  public static final List<String> STATES = RecordingJobState.STORED;

  /** One job as a worker or an admin sees it. */
  public record Job(
      long id,
      UUID callId,
      RecordingKind kind,
      long tenantId,
      String sourceFile,
      String state,
      String step,
      int attempts,
      UUID leaseToken,
      Long capturedBytes,
      String storage,
      String storageBucket,
      String storageKey,
      String transcription,
      String lastError,
      OffsetDateTime createdAt,
      OffsetDateTime updatedAt) {

    static Job of(RecordingJobRecord r) {
      return new Job(r.getId(), r.getCallId(), RecordingKind.of(r.getKind()), r.getTenantId(), r.getSourceFile(), r.getState(), r.getStep(),
          r.getAttempts(), r.getLeaseToken(), r.getCapturedBytes(), r.getStorage(), r.getStorageBucket(),
          r.getStorageKey(), r.getTranscription(), r.getLastError(), r.getCreatedAt(), r.getUpdatedAt());
    }
  }

  /** The worker no longer holds the job: its lease ran out and another worker took it. */
  static final class LeaseLostException extends RuntimeException {
    LeaseLostException(long jobId) {
      super("lease on recording job " + jobId + " was lost to another worker");
    }
  }

  private final DSLContext dsl;

  public RecordingJobs(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Adds the job for a call's recording; see {@link #enqueue(UUID, long, String, RecordingKind)}. */
  public boolean enqueue(UUID callId, long tenantId, String sourceFile) {
    return enqueue(callId, tenantId, sourceFile, RecordingKind.CALL);
  }

  /**
   * Adds the job for a call's recording or voicemail; a second enqueue of the same kind for the same call changes
   * nothing. True when it was new.
   */
  public boolean enqueue(UUID callId, long tenantId, String sourceFile, RecordingKind kind) {
    return dsl.insertInto(RECORDING_JOB)
        .set(RECORDING_JOB.CALL_ID, callId)
        .set(RECORDING_JOB.KIND, kind.value())
        .set(RECORDING_JOB.TENANT_ID, tenantId)
        .set(RECORDING_JOB.SOURCE_FILE, sourceFile)
        .onConflict(RECORDING_JOB.CALL_ID, RECORDING_JOB.KIND).doNothing()
        .execute() == 1;
  }

  /**
   * Enqueues the recorded calls that ended a while ago (call-end had its chance) and the voicemails stored a
   * while ago (voicemail-done had its chance) that have no job: the safety net for a script that could not reach
   * the queue. Returns how many were added.
   */
  public int sweep(Duration grace, Duration horizon) {
    Field<OffsetDateTime> now = DSL.currentOffsetDateTime();
    int calls = dsl.insertInto(RECORDING_JOB, RECORDING_JOB.CALL_ID, RECORDING_JOB.KIND, RECORDING_JOB.TENANT_ID,
            RECORDING_JOB.SOURCE_FILE)
        .select(DSL.select(CALL.ID, DSL.inline(RecordingKind.CALL.value()), CALL.TENANT_ID, CALL.RECORDING_FILE)
            .from(CALL)
            .where(CALL.RECORDING_FILE.isNotNull())
            .and(DSL.trim(CALL.RECORDING_FILE).ne(""))
            .and(CALL.ENDED_AT.lt(minus(now, grace)))
            .and(CALL.ENDED_AT.gt(minus(now, horizon)))
            .andNotExists(DSL.selectOne().from(RECORDING_JOB).where(RECORDING_JOB.CALL_ID.eq(CALL.ID))
                .and(RECORDING_JOB.KIND.eq(RecordingKind.CALL.value()))))
        .onConflict(RECORDING_JOB.CALL_ID, RECORDING_JOB.KIND).doNothing()
        .execute();
    int voicemails = dsl.insertInto(RECORDING_JOB, RECORDING_JOB.CALL_ID, RECORDING_JOB.KIND, RECORDING_JOB.TENANT_ID,
            RECORDING_JOB.SOURCE_FILE)
        .select(DSL.select(CALL.ID, DSL.inline(RecordingKind.VOICEMAIL.value()), CALL.TENANT_ID, CALL.VOICEMAIL_FILE)
            .from(CALL)
            .where(CALL.VOICEMAIL_FILE.isNotNull())
            .and(CALL.VOICEMAIL_AT.lt(minus(now, grace)))
            .and(CALL.VOICEMAIL_AT.gt(minus(now, horizon)))
            .andNotExists(DSL.selectOne().from(RECORDING_JOB).where(RECORDING_JOB.CALL_ID.eq(CALL.ID))
                .and(RECORDING_JOB.KIND.eq(RecordingKind.VOICEMAIL.value()))))
        .onConflict(RECORDING_JOB.CALL_ID, RECORDING_JOB.KIND).doNothing()
        .execute();
    return calls + voicemails;
  }

  /**
   * Takes the next due job for this worker, in one statement: a pending job whose time has come, or a
   * running one whose lease ran out (its worker died). Concurrent workers skip each other's rows.
   */
  public Optional<Job> claim(String owner, Duration lease) {
    Field<OffsetDateTime> now = DSL.currentOffsetDateTime();
    Condition due = RECORDING_JOB.STATE.eq(RecordingJobState.PENDING.dbValue()).and(RECORDING_JOB.RUN_AFTER.le(now))
        .or(RECORDING_JOB.STATE.eq(RecordingJobState.RUNNING.dbValue()).and(RECORDING_JOB.LEASE_UNTIL.lt(now)));
    return dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.STATE, RecordingJobState.RUNNING.dbValue())
        .set(RECORDING_JOB.LEASE_TOKEN, UUID.randomUUID())
        .set(RECORDING_JOB.LEASE_OWNER, owner)
        .set(RECORDING_JOB.LEASE_UNTIL, plus(now, lease))
        .set(RECORDING_JOB.ATTEMPTS, RECORDING_JOB.ATTEMPTS.plus(1))
        .set(RECORDING_JOB.UPDATED_AT, now)
        .where(RECORDING_JOB.ID.eq(DSL.select(RECORDING_JOB.ID).from(RECORDING_JOB)
            .where(due)
            .orderBy(RECORDING_JOB.RUN_AFTER, RECORDING_JOB.ID)
            .limit(1)
            .forUpdate().skipLocked()))
        .returning()
        .fetchOptional()
        .map(Job::of);
  }

  /** Pushes the lease forward before a long step, so the job is not taken from a worker that is busy with it. */
  void renew(Job job, Duration lease) {
    guarded(job, dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.LEASE_UNTIL, plus(DSL.currentOffsetDateTime(), lease))
        .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime())
        .where(held(job))
        .execute());
  }

  void captured(Job job, long bytes, Duration lease) {
    guarded(job, dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.STEP, "store")
        .set(RECORDING_JOB.CAPTURED_BYTES, bytes)
        .set(RECORDING_JOB.CAPTURED_AT, DSL.currentOffsetDateTime())
        .set(RECORDING_JOB.LEASE_UNTIL, plus(DSL.currentOffsetDateTime(), lease))
        .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime())
        .where(held(job))
        .execute());
  }

  void stored(Job job, StoredObject stored, Duration lease) {
    guarded(job, dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.STEP, "transcribe")
        .set(RECORDING_JOB.STORAGE, stored.storage())
        .set(RECORDING_JOB.STORAGE_BUCKET, stored.bucket())
        .set(RECORDING_JOB.STORAGE_KEY, stored.key())
        .set(RECORDING_JOB.STORED_AT, DSL.currentOffsetDateTime())
        .set(RECORDING_JOB.LEASE_UNTIL, plus(DSL.currentOffsetDateTime(), lease))
        .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime())
        .where(held(job))
        .execute());
  }

  /**
   * Stores the transcript on the call (the call's transcript, or its voicemail transcript) and moves the job on,
   * together: either both happen or neither, and only while this worker still holds the job. A redone
   * transcription overwrites: one call, one transcript of each kind.
   */
  void transcribed(Job job, String transcript, int parts) {
    dsl.transaction(tx -> {
      DSLContext t = tx.dsl();
      guarded(job, t.update(RECORDING_JOB)
          .set(RECORDING_JOB.STEP, "cleanup")
          .set(RECORDING_JOB.TRANSCRIPTION, "done")
          .set(RECORDING_JOB.TRANSCRIPT_PARTS, parts)
          .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime())
          .where(held(job))
          .execute());
      CallRepository call = new CallRepository(t);
      if (job.kind() == RecordingKind.VOICEMAIL) {
        call.voicemailTranscribed(job.callId(), transcript);
      } else {
        call.transcribed(job.callId(), transcript);
      }
    });
  }

  void transcriptionSkipped(Job job) {
    guarded(job, dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.STEP, "cleanup")
        .set(RECORDING_JOB.TRANSCRIPTION, "skipped")
        .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime())
        .where(held(job))
        .execute());
  }

  void finished(Job job) {
    guarded(job, dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.STATE, RecordingJobState.DONE.dbValue())
        .set(RECORDING_JOB.STEP, "done")
        .setNull(RECORDING_JOB.LEASE_TOKEN)
        .setNull(RECORDING_JOB.LEASE_OWNER)
        .setNull(RECORDING_JOB.LEASE_UNTIL)
        .setNull(RECORDING_JOB.LAST_ERROR)
        .set(RECORDING_JOB.FINISHED_AT, DSL.currentOffsetDateTime())
        .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime())
        .where(held(job))
        .execute());
  }

  /**
   * Records a failed attempt: back to pending after {@code retryAfter}, or failed for good when there is no
   * point in trying again. Returns the state the job is now in.
   */
  String attemptFailed(Job job, String error, Duration retryAfter, boolean giveUp) {
    String next = (giveUp ? RecordingJobState.FAILED : RecordingJobState.PENDING).dbValue();
    var update = dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.STATE, next)
        .set(RECORDING_JOB.LAST_ERROR, truncate(error))
        .set(RECORDING_JOB.RUN_AFTER, plus(DSL.currentOffsetDateTime(), retryAfter))
        .setNull(RECORDING_JOB.LEASE_TOKEN)
        .setNull(RECORDING_JOB.LEASE_OWNER)
        .setNull(RECORDING_JOB.LEASE_UNTIL)
        .set(RECORDING_JOB.FINISHED_AT, giveUp ? DSL.currentOffsetDateTime() : DSL.castNull(RECORDING_JOB.FINISHED_AT))
        .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime());
    guarded(job, update.where(held(job)).execute());
    return next;
  }

  /**
   * Gives a job back without counting the attempt, when this node stops in the middle of it: another
   * worker (here after a restart, or on another node) takes it at once instead of after the lease.
   */
  void release(Job job) {
    guarded(job, dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.STATE, RecordingJobState.PENDING.dbValue())
        .set(RECORDING_JOB.ATTEMPTS, DSL.greatest(RECORDING_JOB.ATTEMPTS.minus(1), DSL.inline(0)))
        .set(RECORDING_JOB.RUN_AFTER, DSL.currentOffsetDateTime())
        .setNull(RECORDING_JOB.LEASE_TOKEN)
        .setNull(RECORDING_JOB.LEASE_OWNER)
        .setNull(RECORDING_JOB.LEASE_UNTIL)
        .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime())
        .where(held(job))
        .execute());
  }

  /**
   * Puts failed jobs back in the queue with fresh attempts; they continue from the step they reached.
   * {@code callId} null means every failed job. Returns how many were requeued.
   */
  public int retryFailed(UUID callId) {
    Condition which = RECORDING_JOB.STATE.eq(RecordingJobState.FAILED.dbValue());
    if (callId != null) {
      which = which.and(RECORDING_JOB.CALL_ID.eq(callId));
    }
    return dsl.update(RECORDING_JOB)
        .set(RECORDING_JOB.STATE, RecordingJobState.PENDING.dbValue())
        .set(RECORDING_JOB.ATTEMPTS, 0)
        .set(RECORDING_JOB.RUN_AFTER, DSL.currentOffsetDateTime())
        .setNull(RECORDING_JOB.FINISHED_AT)
        .set(RECORDING_JOB.UPDATED_AT, DSL.currentOffsetDateTime())
        .where(which)
        .execute();
  }

  /** The job of the call's recording. */
  public Optional<Job> findByCall(UUID callId) {
    return findByCall(callId, RecordingKind.CALL);
  }

  public Optional<Job> findByCall(UUID callId, RecordingKind kind) {
    return dsl.selectFrom(RECORDING_JOB).where(RECORDING_JOB.CALL_ID.eq(callId))
        .and(RECORDING_JOB.KIND.eq(kind.value())).fetchOptional().map(Job::of);
  }

  /** Jobs in a state (null = any), newest first. */
  public List<Job> list(String state, int limit) {
    Condition which = state == null ? DSL.noCondition() : RECORDING_JOB.STATE.eq(state);
    return dsl.selectFrom(RECORDING_JOB).where(which).orderBy(RECORDING_JOB.ID.desc()).limit(limit).fetch(Job::of);
  }

  /** How many jobs are in each state (every state present, zero included). */
  public Map<String, Long> countByState() {
    Map<String, Long> counts = new LinkedHashMap<>();
    STATES.forEach(s -> counts.put(s, 0L));
    dsl.select(RECORDING_JOB.STATE, DSL.count()).from(RECORDING_JOB).groupBy(RECORDING_JOB.STATE)
        .fetch()
        .forEach(r -> counts.put(r.value1(), r.value2().longValue()));
    return counts;
  }

  /** The call's start, which dates the object key, and whether its tenant wants a transcript. */
  record CallFacts(OffsetDateTime createdAt, boolean transcriptionEnabled, String language) {}

  Optional<CallFacts> callFacts(UUID callId) {
    return dsl.select(CALL.CREATED_AT, TENANT.TRANSCRIPTION_ENABLED, TENANT.AI_LANGUAGE)
        .from(CALL).join(TENANT).on(TENANT.ID.eq(CALL.TENANT_ID))
        .where(CALL.ID.eq(callId))
        .fetchOptional(r -> new CallFacts(r.value1(), r.value2(), r.value3()));
  }

  /** A call's owner and transcript, and its recording job if it has one: what the API answers from. */
  public record CallRecording(UUID callId, long tenantId, String transcript, OffsetDateTime transcribedAt,
      Optional<Job> job) {}

  public Optional<CallRecording> callRecording(UUID callId) {
    return dsl.select(CALL.ID, CALL.TENANT_ID, CALL.TRANSCRIPT, CALL.TRANSCRIBED_AT)
        .from(CALL)
        .where(CALL.ID.eq(callId))
        .fetchOptional(r -> new CallRecording(r.value1(), r.value2(), r.value3(), r.value4(), findByCall(callId)));
  }

  /** A call's owner and voicemail, and the voicemail's job if it has one; {@code file} null: no voicemail. */
  public record CallVoicemail(UUID callId, long tenantId, String file, Integer durationMs, OffsetDateTime leftAt,
      String transcript, OffsetDateTime transcribedAt, Optional<Job> job) {}

  public Optional<CallVoicemail> callVoicemail(UUID callId) {
    return dsl.select(CALL.ID, CALL.TENANT_ID, CALL.VOICEMAIL_FILE, CALL.VOICEMAIL_DURATION_MS, CALL.VOICEMAIL_AT,
            CALL.VOICEMAIL_TRANSCRIPT, CALL.VOICEMAIL_TRANSCRIBED_AT)
        .from(CALL)
        .where(CALL.ID.eq(callId))
        .fetchOptional(r -> new CallVoicemail(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(), r.value6(),
            r.value7(), findByCall(callId, RecordingKind.VOICEMAIL)));
  }

  private static Condition held(Job job) {
    return RECORDING_JOB.ID.eq(job.id())
        .and(RECORDING_JOB.STATE.eq(RecordingJobState.RUNNING.dbValue()))
        .and(RECORDING_JOB.LEASE_TOKEN.eq(job.leaseToken()));
  }

  private static void guarded(Job job, int updated) {
    if (updated != 1) {
      throw new LeaseLostException(job.id());
    }
  }

  private static Field<OffsetDateTime> plus(Field<OffsetDateTime> t, Duration d) {
    return DSL.field("({0} + {1} * interval '1 millisecond')", SQLDataType.TIMESTAMPWITHTIMEZONE, t,
        DSL.val(d.toMillis()));
  }

  private static Field<OffsetDateTime> minus(Field<OffsetDateTime> t, Duration d) {
    return plus(t, d.negated());
  }

  private static String truncate(String error) {
    return error == null || error.length() <= 2000 ? error : error.substring(0, 2000) + "...";
  }
}
