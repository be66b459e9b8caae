package io.asterline.mediaws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.app.Json;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** chan_websocket's control messages, as Asterisk 22.10.1 writes them (chan_websocket.c _create_event_*). */
class ControlMessageCodecTest {

  private static EmbeddedChannel channel() {
    return new EmbeddedChannel(new ControlEventDecoder(Json.mapper()), ControlCommandEncoder.INSTANCE);
  }

  private static Object decode(EmbeddedChannel ch, String text) {
    ch.writeInbound(new TextWebSocketFrame(text));
    return ch.readInbound();
  }

  @Test
  void jsonEventsDecodeAndCommandsAnswerInJson() {
    EmbeddedChannel ch = channel();
    // MEDIA_START with the channel's variables, as ast_json_pack writes it (compact)
    Object start = decode(ch, "{\"event\":\"MEDIA_START\",\"connection_id\":\"asterline\",\"channel\":"
        + "\"WebSocket/asterline/0x7f3a1c001234\",\"channel_id\":\"1733467200.17\",\"format\":\"ulaw\","
        + "\"optimal_frame_size\":160,\"ptime\":20,\"channel_variables\":{\"__ASTERLINE_CALL_ID\":"
        + "\"6f1c2a4e-0000-4000-8000-000000000001\",\"MEDIA_WEBSOCKET_CONNECTION_ID\":\"asterline\"}}");
    assertThat(start).isEqualTo(new ControlEvent.MediaStart("asterline", "WebSocket/asterline/0x7f3a1c001234",
        "1733467200.17", "ulaw", 160, 20, Map.of("__ASTERLINE_CALL_ID", "6f1c2a4e-0000-4000-8000-000000000001",
            "MEDIA_WEBSOCKET_CONNECTION_ID", "asterline")));
    assertThat(decode(ch, "{\"event\":\"MEDIA_MARK_PROCESSED\",\"channel_id\":\"1733467200.17\",\"correlation_id\":\"a1\"}"))
        .isEqualTo(new ControlEvent.MarkProcessed("a1"));
    assertThat(decode(ch, "{\"event\":\"MEDIA_XOFF\",\"channel_id\":\"1733467200.17\"}")).isEqualTo(new ControlEvent.Xoff());
    assertThat(decode(ch, "{\"event\":\"MEDIA_XON\",\"channel_id\":\"1733467200.17\"}")).isEqualTo(new ControlEvent.Xon());
    assertThat(decode(ch, "{\"event\":\"QUEUE_DRAINED\",\"channel_id\":\"1733467200.17\"}"))
        .isEqualTo(new ControlEvent.QueueDrained());
    assertThat(decode(ch, "{\"event\":\"DTMF_END\",\"channel_id\":\"1733467200.17\",\"digit\":\"#\"}"))
        .isEqualTo(new ControlEvent.DtmfEnd('#'));
    assertThat(decode(ch, "{\"event\":\"STATUS\",\"channel_id\":\"1733467200.17\",\"queue_length\":12,\"xon_level\":800,"
        + "\"xoff_level\":900,\"queue_full\":false,\"bulk_media\":true,\"media_paused\":false}"))
        .isEqualTo(new ControlEvent.Status(12, false, true, false));
    assertThat(decode(ch, "{\"event\":\"ERROR\",\"channel_id\":\"1733467200.17\",\"error_text\":\"Unable to parse JSON command\"}"))
        .isEqualTo(new ControlEvent.Error("Unable to parse JSON command"));
    // an event a newer Asterisk may add: ignored, not fatal
    assertThat(decode(ch, "{\"event\":\"MEDIA_SOMETHING_NEW\",\"channel_id\":\"1\"}")).isNull();

    ch.writeOutbound(ControlCommand.mark("a2"), ControlCommand.of(ControlCommand.Kind.FLUSH_MEDIA));
    assertText(ch.readOutbound(), "{\"command\":\"MARK_MEDIA\",\"correlation_id\":\"a2\"}");
    assertText(ch.readOutbound(), "{\"command\":\"FLUSH_MEDIA\"}");
    assertThat((Object) ch.readInbound()).isNull();
    assertThat((Object) ch.readOutbound()).isNull();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void plainTextEventsDecodeAndCommandsAnswerInPlainText() {
    EmbeddedChannel ch = channel();
    assertThat(decode(ch, "MEDIA_START connection_id:asterline channel:WebSocket/asterline/0x7f3a1c001234 "
        + "channel_id:1733467200.17 format:ulaw optimal_frame_size:160 ptime:20"))
        .isEqualTo(new ControlEvent.MediaStart("asterline", "WebSocket/asterline/0x7f3a1c001234", "1733467200.17", "ulaw",
            160, 20, Map.of()));
    assertThat(decode(ch, "MEDIA_MARK_PROCESSED a1")).isEqualTo(new ControlEvent.MarkProcessed("a1"));
    assertThat(decode(ch, "MEDIA_BUFFERING_COMPLETED")).isEqualTo(new ControlEvent.BufferingCompleted(""));
    assertThat(decode(ch, "MEDIA_XOFF")).isEqualTo(new ControlEvent.Xoff());
    assertThat(decode(ch, "DTMF_END digit:5 channel_id:1733467200.17")).isEqualTo(new ControlEvent.DtmfEnd('5'));
    assertThat(decode(ch, "STATUS channel_id:1733467200.17 queue_length:3 xon_level:800 xoff_level:900 queue_full:true "
        + "bulk_media:false media_paused:false")).isEqualTo(new ControlEvent.Status(3, true, false, false));
    assertThat(decode(ch, "ERROR channel_id:1733467200.17 error_text:MARK_MEDIA not supported in passthrough mode"))
        .isEqualTo(new ControlEvent.Error("MARK_MEDIA not supported in passthrough mode"));

    ch.writeOutbound(ControlCommand.mark("a2"), ControlCommand.of(ControlCommand.Kind.HANGUP));
    assertText(ch.readOutbound(), "MARK_MEDIA a2");
    assertText(ch.readOutbound(), "HANGUP");
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void malformedMessagesAreProtocolErrorsNamingTheInput() {
    for (String bad : new String[] {"{\"event\":\"MEDIA_MARK_PROCESSED\",\"correlation_id\":", "{\"channel_id\":\"1\"}",
        "MEDIA_START connection_id:asterline format:ulaw", "MEDIA_START connection_id:a channel:c format:ulaw "
        + "optimal_frame_size:many ptime:20", "DTMF_END digit:x channel_id:1", "   "}) {
      EmbeddedChannel ch = channel();
      assertThatThrownBy(() -> ch.writeInbound(new TextWebSocketFrame(bad))).as(bad)
          .isInstanceOf(MediaWsProtocolException.class);
      assertThat((Object) ch.readInbound()).isNull();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void correlationIdsThatWouldBreakTheCommandAreRefused() {
    assertThatThrownBy(() -> ControlCommand.mark("a b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ControlCommand.mark("a\"b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ControlCommand.mark("x".repeat(65))).isInstanceOf(IllegalArgumentException.class);
    // the longest allowed id keeps the JSON command inside Asterisk's 128-byte limit for text messages
    assertThat(ControlCommandEncoder.text(ControlCommand.mark("x".repeat(64)), true).length()).isLessThanOrEqualTo(128);
  }

  @Test
  void callIdComesFromTheInheritedVariableWhateverItsUnderscores() {
    String id = "6f1c2a4e-0000-4000-8000-000000000001";
    assertThat(MediaCallHandler.callIdOf(Map.of("__ASTERLINE_CALL_ID", id))).hasToString(id);
    assertThat(MediaCallHandler.callIdOf(Map.of("ASTERLINE_CALL_ID", id))).hasToString(id);
    assertThat(MediaCallHandler.callIdOf(Map.of("OTHER", id))).isNull();
    assertThatThrownBy(() -> MediaCallHandler.callIdOf(Map.of("ASTERLINE_CALL_ID", "nope")))
        .isInstanceOf(MediaWsProtocolException.class).hasMessageContaining("nope");
  }

  private static void assertText(Object frame, String expected) {
    assertThat(frame).isInstanceOf(TextWebSocketFrame.class);
    TextWebSocketFrame text = (TextWebSocketFrame) frame;
    try {
      assertThat(text.text()).isEqualTo(expected);
    } finally {
      text.release();
    }
  }
}
