package io.asterline.twiliomedia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.Json;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Twilio's Media Streams messages, as its WebSocket messages page shows them, and ours back. */
class StreamMessageCodecTest {

  private static final String STREAM = "MZ18ad3ab5a668481ce02b83e7395059f0";
  private static final String ACCOUNT = "AC0123456789abcdef0123456789abcdef";
  private static final String CALL = "CA0123456789abcdef0123456789abcdef";

  private static EmbeddedChannel channel() {
    return new EmbeddedChannel(new StreamEventDecoder(Json.mapper()), StreamCommandEncoder.INSTANCE);
  }

  private static Object decode(EmbeddedChannel ch, String text) {
    ch.writeInbound(new TextWebSocketFrame(text));
    return ch.readInbound();
  }

  @Test
  void twiliosMessagesDecode() {
    EmbeddedChannel ch = channel();
    assertThat(decode(ch, "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}"))
        .isEqualTo(new StreamEvent.Connected("Call", "1.0.0"));
    Object start = decode(ch, "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":\"" + ACCOUNT
        + "\",\"streamSid\":\"" + STREAM + "\",\"callSid\":\"" + CALL + "\",\"tracks\":[\"inbound\"],"
        + "\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1},"
        + "\"customParameters\":{\"callId\":\"6f1c2a4e-0000-4000-8000-000000000001\"}},\"streamSid\":\"" + STREAM
        + "\"}");
    assertThat(start).isEqualTo(new StreamEvent.Start(STREAM, ACCOUNT, CALL, List.of("inbound"),
        Map.of("callId", "6f1c2a4e-0000-4000-8000-000000000001"), "audio/x-mulaw", 8000, 1));
    assertThat(start.toString()).as("parameter values stay out of logs")
        .doesNotContain("6f1c2a4e").contains("callId");
    // 4 bytes of mu-law: 0xFF 0x7F 0x00 0x80 in base64
    Object media = decode(ch, "{\"event\":\"media\",\"sequenceNumber\":\"3\",\"media\":{\"track\":\"inbound\","
        + "\"chunk\":\"1\",\"timestamp\":\"5\",\"payload\":\"/38AgA==\"},\"streamSid\":\"" + STREAM + "\"}");
    assertThat(media).isInstanceOfSatisfying(StreamEvent.Media.class, m -> {
      assertThat(m.track()).isEqualTo("inbound");
      assertThat(m.chunk()).isEqualTo(1);
      assertThat(m.timestamp()).isEqualTo(5);
      assertThat(m.payload()).containsExactly(0xFF, 0x7F, 0x00, 0x80);
    });
    assertThat(decode(ch, "{\"event\":\"dtmf\",\"streamSid\":\"" + STREAM + "\",\"sequenceNumber\":\"5\","
        + "\"dtmf\":{\"track\":\"inbound_track\",\"digit\":\"#\"}}")).isEqualTo(new StreamEvent.Dtmf("inbound_track", '#'));
    assertThat(decode(ch, "{\"event\":\"mark\",\"sequenceNumber\":\"4\",\"streamSid\":\"" + STREAM
        + "\",\"mark\":{\"name\":\"a1\"}}")).isEqualTo(new StreamEvent.Mark("a1"));
    assertThat(decode(ch, "{\"event\":\"stop\",\"sequenceNumber\":\"5\",\"streamSid\":\"" + STREAM
        + "\",\"stop\":{\"accountSid\":\"" + ACCOUNT + "\",\"callSid\":\"" + CALL + "\"}}"))
        .isEqualTo(new StreamEvent.Stop(ACCOUNT, CALL));
    // an event Twilio may add later: skipped, not fatal
    assertThat(decode(ch, "{\"event\":\"somethingNew\",\"streamSid\":\"" + STREAM + "\"}")).isNull();
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void ourMessagesAreTheJsonTwilioReads() throws Exception {
    EmbeddedChannel ch = channel();
    ch.writeOutbound(new StreamCommand.Media(STREAM, Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF, 0x7F, 0, (byte) 0x80})),
        new StreamCommand.Mark(STREAM, "a2"), new StreamCommand.Clear(STREAM));
    ObjectMapper json = new ObjectMapper();
    JsonNode media = json.readTree(text(ch.readOutbound()));
    assertThat(media.path("event").asText()).isEqualTo("media");
    assertThat(media.path("streamSid").asText()).isEqualTo(STREAM);
    assertThat(Base64.getDecoder().decode(media.at("/media/payload").asText())).containsExactly(0xFF, 0x7F, 0x00, 0x80);
    assertThat(text(ch.readOutbound())).isEqualTo("{\"event\":\"mark\",\"streamSid\":\"" + STREAM
        + "\",\"mark\":{\"name\":\"a2\"}}");
    assertThat(text(ch.readOutbound())).isEqualTo("{\"event\":\"clear\",\"streamSid\":\"" + STREAM + "\"}");
    assertThat((Object) ch.readOutbound()).isNull();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void malformedMessagesFailNamingWhatIsWrong() {
    assertFails("{\"event\":\"media\",", "not JSON");
    assertFails("[1,2]", "not a JSON object");
    assertFails("{\"sequenceNumber\":\"1\"}", "without its event");
    assertFails("{\"event\":\"media\",\"media\":{\"payload\":\"%%%\"}}", "not base64");
    assertFails("{\"event\":\"media\",\"streamSid\":\"" + STREAM + "\"}", "without its media object");
    assertFails("{\"event\":\"media\",\"media\":{\"chunk\":\"x1\",\"payload\":\"/38AgA==\"}}", "chunk is not a number");
    assertFails("{\"event\":\"dtmf\",\"dtmf\":{\"digit\":\"12\"}}", "not a key");
    assertFails("{\"event\":\"mark\",\"mark\":{}}", "without its name");
    assertFails("{\"event\":\"start\",\"start\":{\"streamSid\":\"MZ1\",\"accountSid\":\"" + ACCOUNT + "\",\"callSid\":\""
        + CALL + "\",\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\"}}}", "not a stream SID");
    assertFails("{\"event\":\"start\",\"start\":{\"streamSid\":\"" + STREAM + "\",\"accountSid\":\"" + ACCOUNT
        + "\",\"callSid\":\"CA\\\"}\",\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\"}}}", "not a call SID");
    assertFails("{\"event\":\"start\",\"start\":{\"streamSid\":\"" + STREAM + "\",\"accountSid\":\"" + ACCOUNT
        + "\",\"callSid\":\"" + CALL + "\"}}", "without its mediaFormat");
  }

  private static void assertFails(String text, String why) {
    EmbeddedChannel ch = channel();
    assertThatThrownBy(() -> ch.writeInbound(new TextWebSocketFrame(text)))
        .isInstanceOf(TwilioMediaProtocolException.class).hasMessageContaining(why);
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(ch.finish()).isFalse();
  }

  private static String text(Object frame) {
    TextWebSocketFrame f = (TextWebSocketFrame) frame;
    try {
      return f.text();
    } finally {
      f.release();
    }
  }
}
