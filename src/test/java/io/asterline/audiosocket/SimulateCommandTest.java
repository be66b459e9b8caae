package io.asterline.audiosocket;

import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.Main;
import io.asterline.app.Asterline;
import io.asterline.app.AsterlineConfig;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.asterline.realtime.MuLaw;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code asterline call simulate} against a running Asterline: its own FastAGI and AudioSocket servers on an
 * embedded PostgreSQL, with a local fake standing in for OpenAI's Realtime API. The command plays Asterisk and
 * the shipped dialplan (inbound, the agent's leg, after-agent, call-end), answering every FastAGI command as
 * res_agi does.
 */
class SimulateCommandTest {

  @TempDir
  Path dir;

  @Test
  void simulatesAnInboundCallThroughTheRealServersAndSavesTheAgentsGreeting() throws Exception {
    try (TestDatabase.Db db = TestDatabase.fresh(8); FakeRealtimeServer realtime = new FakeRealtimeServer()) {
      long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "simulated").set(TENANT.MAX_CONCURRENT_CALLS, 5)
          .returning(TENANT.ID).fetchOne(TENANT.ID);
      db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+4930123456").set(DID.TRUNK, "TWILIO")
          .execute();
      byte[] greeting = FakeRealtimeServer.tone(600);
      realtime.responder = (s, e) -> greeting;
      Map<String, String> o = new HashMap<>();
      o.put("database.url", db.jdbcUrl());
      o.put("data.dir", dir.resolve("data-" + UUID.randomUUID()).toString());
      o.put("database.user", "postgres");
      o.put("http.port", "0");
      o.put("agi.port", "0");
      // any free port: inbound must hand out the port the AudioSocket server really got
      o.put("audiosocket.port", "0");
      o.put("mediaws.port", "0");
      o.put("audiosocket.io-threads", "1");
      o.put("openai.api-key", "sk-test-simulate");
      o.put("realtime.url", realtime.url());
      o.put("recordings.dir", dir.resolve("recordings").toString());
      Asterline app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)));
      try {
        // two seconds of caller audio whose samples are exact mu-law values
        byte[] pcm = new byte[16000 * 2];
        for (int i = 0; i < pcm.length / 2; i++) {
          short v = MuLaw.decode((byte) (i % 97));
          pcm[2 * i] = (byte) v;
          pcm[2 * i + 1] = (byte) (v >> 8);
        }
        Path in = dir.resolve("caller.wav");
        Wav.writeSlin8k(in, pcm);
        Path out = dir.resolve("reply.wav");

        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        CommandLine cli = Main.commandLine(Map.of());
        cli.setOut(new PrintWriter(stdout));
        cli.setErr(new PrintWriter(stderr));
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> cli.execute("call", "simulate",
            "--did", "+4930123456", "--agi", "agi://127.0.0.1:" + app.agiPort() + "/inbound",
            "--audio", in.toString(), "--save", out.toString(), "--duration", "20"));

        FakeRealtimeServer.Session s = realtime.awaitSession(0, 10_000);
        s.await("response.create", 5000);
        RecordingListener.await("the caller's audio", 5000, () -> s.appendedAudio().length >= 8000);
        // the agent has greeted and heard the caller; it ends the call
        Thread.sleep(200);
        s.callFunction("end_call", "{}");
        assertThat(run.get(15, TimeUnit.SECONDS)).as(stdout + "\n" + stderr).isZero();

        assertThat(stdout.toString()).contains("the agent ended the call").contains("first agent audio after")
            .contains("FastAGI after-agent: ASTERLINE_STATUS=OK, ASTERLINE_NEXT=hangup")
            .contains("FastAGI call-end: ASTERLINE_STATUS=OK");
        assertThat(stderr.toString()).isEmpty();

        // what the caller heard is the agent's greeting, sample for sample, not silence
        byte[] saved = Wav.readSlin8k(out);
        short[] heard = new short[saved.length / 2];
        for (int i = 0; i < heard.length; i++) {
          heard[i] = (short) ((saved[2 * i] & 0xff) | (saved[2 * i + 1] << 8));
        }
        int at = indexOf(heard, greeting);
        assertThat(at).as("the greeting's first samples in the saved WAV").isNotNegative();
        int loud = 0;
        for (int j = 0; j < 4000; j++) {
          assertThat(heard[at + j]).as("sample " + j + " of the greeting").isEqualTo(MuLaw.decode(greeting[j]));
          loud += Math.abs(heard[at + j]) > 1000 ? 1 : 0;
        }
        assertThat(loud).as("audible samples of the greeting").isGreaterThan(2000);

        // what arrived upstream is the WAV, sample for sample, from wherever the session started listening
        byte[] up = s.appendedAudio();
        int offset = -1;
        for (int k = 0; k < 97 && offset < 0; k++) {
          if (MuLaw.decode(up[0]) == MuLaw.decode((byte) k)) {
            offset = k;
          }
        }
        for (int j = 0; j < 4000; j++) {
          assertThat(MuLaw.decode(up[j])).isEqualTo(MuLaw.decode((byte) ((offset + j) % 97)));
        }

        CallRecord call = db.dsl().selectFrom(CALL).where(CALL.TENANT_ID.eq(tenant)).fetchSingle();
        assertThat(call.getAgentDecision()).isEqualTo("hangup");
        assertThat(call.getState()).isEqualTo("ended");
        assertThat(call.getEndedAt()).isNotNull();
        assertThat(call.getOutcome()).isEqualTo("ANSWER");
        assertThat(call.getHangupCause()).isEqualTo("16");
        assertThat(call.getRemoteNumber()).isEqualTo("+15550100000");
        assertThat(db.dsl().fetchCount(ADMISSION_SLOT)).as("the call's slot is released").isZero();
      } finally {
        app.close();
      }
    }
  }

  @Test
  void aNumberNoTenantHasIsReportedAsNotRoutedToTheAgent() throws Exception {
    try (TestDatabase.Db db = TestDatabase.fresh(4)) {
      Map<String, String> o = new HashMap<>();
      o.put("database.url", db.jdbcUrl());
      o.put("data.dir", dir.resolve("data-" + UUID.randomUUID()).toString());
      o.put("database.user", "postgres");
      o.put("http.port", "0");
      o.put("agi.port", "0");
      o.put("audiosocket.port", "0");
      o.put("mediaws.port", "0");
      o.put("recordings.dir", dir.resolve("recordings").toString());
      Asterline app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)));
      try {
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        CommandLine cli = Main.commandLine(Map.of());
        cli.setOut(new PrintWriter(stdout));
        cli.setErr(new PrintWriter(stderr));
        int code = cli.execute("call", "simulate", "--did", "+4930999999",
            "--agi", "agi://127.0.0.1:" + app.agiPort() + "/inbound", "--duration", "2");
        assertThat(code).isEqualTo(1);
        assertThat(stderr.toString()).contains("did not route the call to the agent")
            .contains("ASTERLINE_STATUS=UNKNOWN_DID");
        assertThat(db.dsl().fetchCount(CALL)).isZero();
      } finally {
        app.close();
      }
    }
  }

  @Test
  void refusesAnAgiUrlThatIsNotOne() {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine(Map.of());
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("call", "simulate", "--did", "+4930123456", "--agi", "http://127.0.0.1:4573/inbound");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--agi").contains("agi://127.0.0.1:4573/inbound").contains("http://");
  }

  @Test
  void refusesAudioInAnotherFormatNamingTheFile() throws Exception {
    Path wav = dir.resolve("cd.wav");
    byte[] header = new byte[44];
    java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putInt(0x46464952).putInt(36).putInt(0x45564157).putInt(0x20746d66).putInt(16)
        .putShort((short) 1).putShort((short) 2).putInt(44100).putInt(176400).putShort((short) 4).putShort((short) 16)
        .putInt(0x61746164).putInt(0);
    Files.write(wav, header);
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine(Map.of());
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("call", "simulate", "--did", "+4930123456", "--audio", wav.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("cd.wav").contains("8000 Hz").contains("2 channel(s), 44100 Hz");
  }

  @Test
  void aMissingAudioFileIsSaidInWords() {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine(Map.of());
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("call", "simulate", "--did", "+4930123456", "--audio", dir.resolve("none.wav").toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("none.wav: no such file");
  }

  /** Where the greeting's first 80 samples start in what was heard, or -1. */
  private static int indexOf(short[] heard, byte[] mulaw) {
    outer:
    for (int i = 0; i + mulaw.length <= heard.length; i++) {
      for (int j = 0; j < 80; j++) {
        if (heard[i + j] != MuLaw.decode(mulaw[j])) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
