package io.asterline.recording;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.config.Settings;
import io.asterline.http.Auth;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/** What the recording tests share: WAV files as MixMonitor writes them, tenants and calls, a quick config. */
final class Fixtures {

  private Fixtures() {}

  /** 8 kHz mono 16-bit PCM with a 44-byte header; samples are a counter, so any cut or reorder shows. */
  static byte[] wav(int samples) {
    ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2)
        .put("WAVE".getBytes(StandardCharsets.US_ASCII))
        .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16)
        .putShort((short) 1)        // PCM
        .putShort((short) 1)        // mono
        .putInt(8000)               // sample rate
        .putInt(16000)              // byte rate
        .putShort((short) 2)        // block align
        .putShort((short) 16)       // bits per sample
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
    for (int i = 0; i < samples; i++) {
      b.putShort((short) i);
    }
    return b.array();
  }

  /** Writes a finished recording: old enough that the worker need not wait for it to settle. */
  static Path recording(Path dir, long tenantId, UUID callId, byte[] content) throws IOException {
    Path file = dir.resolve(Long.toString(tenantId)).resolve(callId + ".wav");
    Files.createDirectories(file.getParent());
    Files.write(file, content);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(30)));
    return file;
  }

  static long tenant(DSLContext dsl, String name, boolean transcription) {
    return dsl.insertInto(TENANT)
        .set(TENANT.NAME, name)
        .set(TENANT.TRANSCRIPTION_ENABLED, transcription)
        .set(TENANT.API_TOKEN_HASH, Auth.hash(token(name)))
        .returning(TENANT.ID).fetchOne().getId();
  }

  /** The API token of a tenant created by {@link #tenant}. */
  static String token(String tenantName) {
    return "token-of-" + tenantName + "-0123456789";
  }

  static UUID call(DSLContext dsl, long tenantId, OffsetDateTime createdAt, Path recording) {
    UUID id = UUID.randomUUID();
    dsl.insertInto(CALL)
        .set(CALL.ID, id)
        .set(CALL.TENANT_ID, tenantId)
        .set(CALL.DIRECTION, "inbound")
        .set(CALL.STATE, "ended")
        .set(CALL.CREATED_AT, createdAt)
        .set(CALL.ANSWERED_AT, createdAt.plusSeconds(1))
        .set(CALL.ENDED_AT, createdAt.plusSeconds(60))
        .set(CALL.RECORDING_FILE, recording == null ? null : recording.toString())
        .execute();
    return id;
  }

  /** Short waits so a test never sleeps long; every other value is the default. */
  static RecordingConfig config(String transcriptionUrl, String... overrides) {
    Map<String, String> options = new HashMap<>();
    options.put("recordings.lease", "30s");
    options.put("recordings.poll-interval", "50ms");
    options.put("recordings.settle", "150ms");
    options.put("recordings.settle-timeout", "2s");
    options.put("recordings.retry-base", "50ms");
    options.put("recordings.retry-max", "200ms");
    options.put("recordings.max-attempts", "3");
    options.put("transcription.timeout", "10s");
    options.put("transcription.url", transcriptionUrl);
    for (int i = 0; i < overrides.length; i += 2) {
      options.put(overrides[i], overrides[i + 1]);
    }
    return RecordingConfig.from(Settings.of(Map.of(), Map.of(), options));
  }

  static OpenAiTranscriber transcriber(RecordingConfig config) {
    return new OpenAiTranscriber(config, Optional.of(FakeOpenAi.API_KEY), io.asterline.config.Json.mapper());
  }

  static RecordingProcessor processor(RecordingConfig config, Path recordingsDir, RecordingJobs jobs,
      RecordingStorage storage, Transcriber transcriber) {
    return new RecordingProcessor(config, recordingsDir, jobs, storage, transcriber, Clock.systemUTC());
  }

  static final String ADMIN_TOKEN = "admin-token-0123456789";

  /** The HTTP API on 127.0.0.1, an ephemeral port, with the recording routes. */
  static io.asterline.http.HttpServer api(DSLContext dsl, RecordingJobs jobs, RecordingStorage storage) {
    io.asterline.tenant.TenantRepository tenants = new io.asterline.tenant.TenantRepository(dsl);
    return new io.asterline.http.HttpServer(
            new io.asterline.http.HttpConfig(java.net.InetAddress.getLoopbackAddress(), 0, Optional.empty(),
                Optional.of(ADMIN_TOKEN)),
            io.asterline.config.Json.mapper())
        .auth(new io.asterline.http.Auth(Optional.of(ADMIN_TOKEN), tenants::activeTenantByTokenHash))
        .routes(new RecordingRoutes(jobs, storage, () -> { }, new RecordingTickets(dsl)))
        .start();
  }

  /** Runs every job that is due now, one after the other, as a single worker would. Returns how many ran. */
  static int drain(RecordingJobs jobs, RecordingProcessor processor, RecordingConfig config) {
    int n = 0;
    for (Optional<RecordingJobs.Job> job = jobs.claim("test-worker", config.lease()); job.isPresent();
        job = jobs.claim("test-worker", config.lease())) {
      processor.process(job.get());
      n++;
    }
    return n;
  }
}
