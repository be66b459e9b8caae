package io.asterline.recording;

import io.asterline.http.ApiException;
import io.asterline.http.Auth;
import io.asterline.http.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The recording API: a call's audio and transcript (tenant-scoped), and the admin's view of the queue.
 *
 * <pre>
 * GET  /api/calls/{id}/recording        the WAV (local storage) or {"url", "expiresAt"} (S3, presigned)
 * GET  /api/calls/{id}/voicemail        the voicemail the caller left, the same way
 * GET  /api/calls/{id}/transcript       {"callId", "text", "transcribedAt"}
 * GET  /api/recordings/jobs?state=      admin: the newest jobs, failed ones with their last error
 * POST /api/recordings/retry[?callId=]  admin: failed jobs back into the queue
 * POST /api/calls/{id}/recording/link[?kind=voicemail]
 *                                       a URL an audio element can play with range requests, for a few minutes:
 *                                       {"url", "expiresAt"}, a ticket (local storage) or a presigned S3 URL
 * GET  /media/recording?ticket=         the audio a ticket opens (no bearer token: the ticket is the permission)
 * </pre>
 */
final class RecordingRoutes implements Consumer<Javalin> {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RecordingRoutes.class);
  private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern.compile("bytes=(\\d*)-(\\d*)");

  private final RecordingJobs jobs;
  private final RecordingStorage storage;
  private final Runnable requeued;
  private final RecordingTickets tickets;

  RecordingRoutes(RecordingJobs jobs, RecordingStorage storage, Runnable requeued, RecordingTickets tickets) {
    this.jobs = jobs;
    this.storage = storage;
    this.requeued = requeued;
    this.tickets = tickets;
  }

  @Override
  public void accept(Javalin app) {
    app.get("/api/calls/{id}/recording", this::recording);
    app.get("/api/calls/{id}/transcript", this::transcript);
    app.get("/api/calls/{id}/voicemail", this::voicemail);
    app.get("/api/recordings/jobs", this::list);
    app.post("/api/recordings/retry", this::retry);
    app.post("/api/calls/{id}/recording/link", this::link);
    app.get("/media/recording", this::media);
  }

  /** A playable URL for the call's stored recording (or voicemail), checked against the token like the download. */
  private void link(Context ctx) {
    UUID id = callId(ctx);
    String kind = ctx.queryParam("kind") == null ? "call" : ctx.queryParam("kind");
    RecordingJobs.Job job;
    if (kind.equals("call")) {
      RecordingJobs.CallRecording call = call(ctx);
      job = call.job().orElseThrow(() -> ApiException.notFound("call " + call.callId() + " has no recording"));
    } else if (kind.equals("voicemail")) {
      RecordingJobs.CallVoicemail call = jobs.callVoicemail(id).filter(c -> allowed(ctx, c.tenantId()))
          .orElseThrow(() -> ApiException.notFound("no call " + id));
      job = call.job().orElseThrow(() -> ApiException.notFound("call " + id + " has no stored voicemail"));
    } else {
      throw ApiException.badRequest("kind", "kind must be call or voicemail, got '" + kind + "'");
    }
    if (job.storageKey() == null) {
      throw ApiException.notFound("the " + (kind.equals("call") ? "recording" : "voicemail") + " of call " + id
          + " is not stored yet (its job is " + job.state() + " at step " + job.step() + ")");
    }
    StoredObject stored = new StoredObject(job.storage(), job.storageBucket(), job.storageKey());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("callId", id);
    if (stored.storage().equals("local")) {
      RecordingTickets.Issued ticket = tickets.issue(id, job.kind());
      // in the query string: the access log writes the path only
      body.put("url", "/media/recording?ticket=" + ticket.value());
      body.put("expiresAt", ticket.expiresAt());
    } else if (storage instanceof S3Storage) {
      RecordingStorage.Link link = (RecordingStorage.Link) storage.download(stored);
      body.put("url", link.url().toString());
      body.put("expiresAt", link.expiresAt());
    } else {
      throw ApiException.unavailable("the audio of call " + id + " is in S3 bucket " + stored.bucket()
          + " but S3 is not configured on this node");
    }
    ctx.json(body);
  }

  /** The audio a ticket opens, with range requests; an unknown or expired ticket is 404, as a wrong call id. */
  private void media(Context ctx) throws IOException {
    RecordingTickets.Ticket ticket = tickets.find(ctx.queryParam("ticket"))
        .orElseThrow(() -> ApiException.notFound("this playback link is unknown or has expired; open the call"
            + " again for a new one"));
    RecordingJobs.Job job = (ticket.kind() == RecordingKind.CALL
        ? jobs.callRecording(ticket.callId()).flatMap(RecordingJobs.CallRecording::job)
        : jobs.callVoicemail(ticket.callId()).flatMap(RecordingJobs.CallVoicemail::job))
        .filter(j -> j.storageKey() != null && "local".equals(j.storage()))
        .orElseThrow(() -> ApiException.notFound("the audio of call " + ticket.callId() + " is no longer stored"));
    Path file = Path.of(job.storageKey());
    if (!Files.isRegularFile(file)) {
      log.warn("the audio of call {} is no longer at {}", job.callId(), file);
      throw ApiException.notFound("the audio of call " + job.callId() + " is no longer in storage");
    }
    ctx.header("Cache-Control", "private, max-age=600");
    sendFile(ctx, file);
  }

  private void recording(Context ctx) throws IOException {
    RecordingJobs.CallRecording call = call(ctx);
    RecordingJobs.Job job = call.job()
        .orElseThrow(() -> ApiException.notFound("call " + call.callId() + " has no recording"));
    download(ctx, job, "recording");
  }

  private void voicemail(Context ctx) throws IOException {
    UUID id = callId(ctx);
    RecordingJobs.CallVoicemail call = jobs.callVoicemail(id).filter(c -> allowed(ctx, c.tenantId()))
        .orElseThrow(() -> ApiException.notFound("no call " + id));
    if (call.file() == null) {
      throw ApiException.notFound("call " + id + " has no voicemail");
    }
    RecordingJobs.Job job = call.job().orElseThrow(() -> ApiException.notFound("the voicemail of call " + id
        + " is not stored yet (its job is not queued yet)"));
    download(ctx, job, "voicemail");
  }

  /** The stored audio of a job: the WAV itself (local) or a presigned link (S3). */
  private void download(Context ctx, RecordingJobs.Job job, String what) throws IOException {
    if (job.storageKey() == null) {
      throw ApiException.notFound("the " + what + " of call " + job.callId() + " is not stored "
          + (RecordingJobState.FAILED.is(job.state()) ? "(its job failed" + (Auth.principal(ctx).admin()
              ? ": " + job.lastError() : "; the admin sees why in GET /api/recordings/jobs") + ")"
              : "yet (its job is " + job.state() + " at step " + job.step() + ")"));
    }
    StoredObject stored = new StoredObject(job.storage(), job.storageBucket(), job.storageKey());
    if (stored.storage().equals("local")) {
      Path file = Path.of(stored.key());
      if (!Files.isRegularFile(file)) {
        // where the server keeps files is the operator's business, not the tenant's
        log.warn("the {} of call {} is no longer at {}", what, job.callId(), file);
        throw ApiException.notFound("the " + what + " of call " + job.callId() + " is no longer in storage");
      }
      ctx.header("Content-Disposition", "inline; filename=\"" + job.kind().fileName(job.callId()) + "\"");
      sendFile(ctx, file);
      return;
    }
    if (!(storage instanceof S3Storage)) {
      throw ApiException.unavailable("the " + what + " of call " + job.callId() + " is in S3 bucket "
          + stored.bucket() + " but S3 is not configured on this node");
    }
    RecordingStorage.Link link = (RecordingStorage.Link) storage.download(stored);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("callId", job.callId());
    body.put("url", link.url().toString());
    body.put("expiresAt", link.expiresAt());
    ctx.json(body);
  }

  /**
   * The WAV, or the one byte range the request asks for (players seek with ranges). Exact: {@code bytes=a-b} is
   * those bytes, {@code bytes=a-} to the end, {@code bytes=-n} the last n; a range starting past the end is 416.
   * A malformed or multi-part Range is ignored and the whole file sent, as RFC 9110 allows.
   */
  private static void sendFile(Context ctx, Path file) throws IOException {
    long size = Files.size(file);
    long start = 0;
    long end = size - 1;
    boolean partial = false;
    String range = ctx.header("Range");
    java.util.regex.Matcher m = range == null ? null : RANGE.matcher(range.trim());
    if (m != null && m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
      try {
        if (m.group(1).isEmpty()) {
          long suffix = Long.parseLong(m.group(2));
          start = Math.max(0, size - suffix);
          partial = suffix > 0;
          if (suffix == 0) {
            start = size;
          }
        } else {
          start = Long.parseLong(m.group(1));
          end = m.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(m.group(2)));
          partial = start <= end || start >= size;
        }
      } catch (NumberFormatException e) {
        start = 0;
        end = size - 1;
        partial = false;
      }
      if (start >= size || start > end) {
        ctx.res().setCharacterEncoding(null);
        ctx.status(416).header("Content-Range", "bytes */" + size)
            .json(Map.of("error", "range " + range + " is outside the recording's " + size + " bytes"));
        return;
      }
    }
    ctx.status(partial ? 206 : 200);
    ctx.header("Accept-Ranges", "bytes");
    if (partial) {
      ctx.header("Content-Range", "bytes " + start + "-" + end + "/" + size);
    }
    long length = end - start + 1;
    // audio has no charset; Jetty would append the API's default one
    ctx.res().setCharacterEncoding(null);
    ctx.res().setContentType("audio/wav");
    ctx.res().setContentLengthLong(length);
    try (java.io.InputStream in = Files.newInputStream(file); java.io.OutputStream out = ctx.res().getOutputStream()) {
      in.skipNBytes(start);
      byte[] buffer = new byte[64 * 1024];
      long left = length;
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          break;
        }
        out.write(buffer, 0, n);
        left -= n;
      }
    }
  }

  private void transcript(Context ctx) {
    RecordingJobs.CallRecording call = call(ctx);
    if (call.transcript() == null) {
      String why = call.job().map(job -> RecordingJobState.FAILED.is(job.state())
          ? "its recording job failed: " + job.lastError()
          : RecordingJobState.DONE.is(job.state()) ? "transcription is off for this tenant"
          : "not yet: its recording job is " + job.state() + " at step " + job.step()).orElse("the call has no recording");
      throw ApiException.notFound("call " + call.callId() + " has no transcript (" + why + ")");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("callId", call.callId());
    body.put("text", call.transcript());
    body.put("transcribedAt", call.transcribedAt());
    ctx.json(body);
  }

  private void list(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    String state = ctx.queryParam("state");
    if (state != null && !RecordingJobs.STATES.contains(state)) {
      throw ApiException.badRequest("state", "state must be one of " + String.join(", ", RecordingJobs.STATES)
          + ", got '" + state + "'");
    }
    int limit = 100;
    String l = ctx.queryParam("limit");
    if (l != null) {
      try {
        limit = Integer.parseInt(l);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 1000) {
        throw ApiException.badRequest("limit", "limit must be a number from 1 to 1000, got '" + l + "'");
      }
    }
    List<Map<String, Object>> out = jobs.list(state, limit).stream().map(RecordingRoutes::view).toList();
    ctx.json(Map.of("jobs", out));
  }

  private void retry(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    String id = ctx.queryParam("callId");
    UUID callId = id == null ? null : uuid(id, "callId");
    int n = jobs.retryFailed(callId);
    if (n > 0) {
      requeued.run();
    }
    ctx.json(Map.of("requeued", n));
  }

  private RecordingJobs.CallRecording call(Context ctx) {
    UUID id = callId(ctx);
    // another tenant's call is not even confirmed to exist
    return jobs.callRecording(id).filter(c -> allowed(ctx, c.tenantId()))
        .orElseThrow(() -> ApiException.notFound("no call " + id));
  }

  private static UUID callId(Context ctx) {
    Auth.principal(ctx);
    return uuid(ctx.pathParam("id"), "id");
  }

  private static boolean allowed(Context ctx, long tenantId) {
    Principal principal = Auth.principal(ctx);
    return principal.admin() || principal.tenantId().getAsLong() == tenantId;
  }

  static Map<String, Object> view(RecordingJobs.Job job) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", job.id());
    m.put("callId", job.callId());
    m.put("kind", job.kind().value());
    m.put("tenantId", job.tenantId());
    m.put("state", job.state());
    m.put("step", job.step());
    m.put("attempts", job.attempts());
    m.put("sourceFile", job.sourceFile());
    m.put("storage", job.storage());
    m.put("storageKey", job.storageKey());
    m.put("transcription", job.transcription());
    m.put("lastError", job.lastError());
    m.put("createdAt", job.createdAt());
    m.put("updatedAt", job.updatedAt());
    return m;
  }

  private static UUID uuid(String s, String field) {
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(field, field + " must be a call id (a UUID), got '" + s + "'");
    }
  }
}
