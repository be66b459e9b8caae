package io.asterline.audiosocket;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.Main;
import io.asterline.app.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.asterline.realtime.MuLaw;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantApiKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code asterline call simulate} against the real AudioSocket server and a local Realtime fake. The FastAGI
 * server is another feature's; here a minimal one plays the documented inbound contract (it sets
 * ASTERLINE_STATUS, ASTERLINE_CALL_ID and ASTERLINE_AUDIOSOCKET, then closes).
 */
class SimulateCommandTest {

  @TempDir
  Path dir;

  @Test
  void simulatesAnInboundCallAndSavesTheAgentsReply() throws Exception {
    try (TestDatabase.Db db = TestDatabase.fresh(); FakeRealtimeServer fake = new FakeRealtimeServer()) {
      Settings settings = Settings.of(Map.of(), Map.of(), Map.of("openai.api-key", "sk-test", "realtime.url", fake.url(),
          "audiosocket.port", "0", "audiosocket.io-threads", "1"));
      try (AudioSocketServer server = AudioSocketServer.start(AudioSocketConfig.from(settings),
          OpenAiConfig.from(settings), db.dsl(), new TenantApiKeys(db.dsl(), new SecretBox(SecretsConfig.from(settings))),
          Json.mapper(), new SimpleMeterRegistry())) {
        TenantRecord t = db.dsl().newRecord(TENANT);
        t.setName("simulated");
        t.store();
        CallRecord c = db.dsl().newRecord(CALL);
        c.setId(UUID.randomUUID());
        c.setTenantId(t.getId());
        c.setDirection("inbound");
        c.store();
        fake.responder = (s, e) -> FakeRealtimeServer.tone(600);

        List<String> agiLines = new CopyOnWriteArrayList<>();
        Map<String, String> replies = new LinkedHashMap<>();
        try (ServerSocket agi = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          CompletableFuture<Void> agiDone = CompletableFuture.runAsync(() -> fastAgi(agi, agiLines, replies,
              Map.of("ASTERLINE_STATUS", "OK", "ASTERLINE_CALL_ID", c.getId().toString(),
                  "ASTERLINE_AUDIOSOCKET", "127.0.0.1:" + server.port())));

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
          CommandLine cli = Main.commandLine(Map.of());
          cli.setOut(new PrintWriter(stdout));
          CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> cli.execute("call", "simulate",
              "--did", "+4930123456", "--agi", "agi://127.0.0.1:" + agi.getLocalPort() + "/inbound",
              "--audio", in.toString(), "--save", out.toString(), "--duration", "20"));

          FakeRealtimeServer.Session s = fake.awaitSession(0, 5000);
          s.await("response.create", 3000);
          RecordingListener.await("the caller's audio", 5000, () -> s.appendedAudio().length >= 8000);
          s.callFunction("end_call", "{}");
          assertThat(run.get(10, TimeUnit.SECONDS)).as(stdout.toString()).isZero();
          agiDone.get(1, TimeUnit.SECONDS);

          assertThat(agiLines).contains("agi_network_script: inbound", "agi_arg_1: +4930123456",
              "agi_dnid: +4930123456", "agi_network: yes");
          assertThat(agiLines.get(agiLines.size() - 1)).isEmpty();
          assertThat(replies.values()).containsOnly("200 result=1");
          assertThat(stdout.toString()).contains("the agent ended the call").contains("first agent audio after");

          byte[] saved = Wav.readSlin8k(out);
          int speech = 0;
          for (int i = 0; i + 1 < saved.length; i += 2) {
            if (saved[i] != 0 || saved[i + 1] != 0) {
              speech++;
            }
          }
          assertThat(speech).as("samples of agent speech saved").isGreaterThan(4000);
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
        }
        assertThat(db.dsl().fetchOne(CALL, CALL.ID.eq(c.getId())).getAgentDecision()).isEqualTo("hangup");
      }
    }
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
  void answersAgiCommandsAsAsteriskDoes() {
    Map<String, String> vars = new LinkedHashMap<>();
    assertThat(SimulateCommand.answer("SET VARIABLE \"ASTERLINE_STATUS\" \"OK\"", vars)).isEqualTo("200 result=1");
    assertThat(SimulateCommand.answer("SET VARIABLE ASTERLINE_NOTE \"say \\\"hi\\\" twice\"", vars)).isEqualTo("200 result=1");
    assertThat(vars).containsEntry("ASTERLINE_STATUS", "OK").containsEntry("ASTERLINE_NOTE", "say \"hi\" twice");
    assertThat(SimulateCommand.answer("GET VARIABLE \"ASTERLINE_STATUS\"", vars)).isEqualTo("200 result=1 (OK)");
    assertThat(SimulateCommand.answer("GET VARIABLE NOPE", vars)).isEqualTo("200 result=0");
    assertThat(SimulateCommand.answer("STREAM FILE hello \"\"", vars)).startsWith("510");
  }

  /** One FastAGI session as an inbound script would run it: read the request, set the variables, close. */
  private static void fastAgi(ServerSocket server, List<String> lines, Map<String, String> replies,
      Map<String, String> set) {
    try (Socket s = server.accept()) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        lines.add(line);
        if (line.isEmpty()) {
          break;
        }
      }
      OutputStream out = s.getOutputStream();
      for (Map.Entry<String, String> e : set.entrySet()) {
        // quoted as asterisk-java's SetVariableCommand writes it
        out.write(("SET VARIABLE \"" + e.getKey() + "\" \"" + e.getValue() + "\"\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        replies.put(e.getKey(), in.readLine());
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
