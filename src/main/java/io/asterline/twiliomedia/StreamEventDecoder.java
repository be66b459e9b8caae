package io.asterline.twiliomedia;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Twilio's Media Streams messages (JSON text frames) into {@link StreamEvent}s. A frame that is not JSON, lacks a
 * field its event needs, or carries a malformed one fails with a {@link TwilioMediaProtocolException} naming what
 * was wrong (never the payload); an event this version does not know is skipped, as Twilio may add some.
 */
public final class StreamEventDecoder extends MessageToMessageDecoder<TextWebSocketFrame> {

  private static final Logger log = LoggerFactory.getLogger(StreamEventDecoder.class);

  /** The largest text frame taken: a start with its custom parameters is well under it, a media frame ~300 bytes. */
  public static final int MAX_TEXT = 64 * 1024;
  static final Pattern STREAM_SID = Pattern.compile("MZ[0-9a-fA-F]{32}");
  static final Pattern CALL_SID = Pattern.compile("CA[0-9a-f]{32}");
  static final Pattern ACCOUNT_SID = Pattern.compile("AC[0-9a-f]{32}");
  private static final String DIGITS = "0123456789*#ABCD";

  private final ObjectMapper json;

  public StreamEventDecoder(ObjectMapper json) {
    super(TextWebSocketFrame.class);
    this.json = json;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, TextWebSocketFrame frame, List<Object> out) {
    StreamEvent event = decode(json, frame.text());
    if (event != null) {
      out.add(event);
    }
  }

  /** The event in {@code text}, or null for an event this version does not know. */
  static StreamEvent decode(ObjectMapper json, String text) {
    JsonNode n;
    try {
      n = json.readTree(text);
    } catch (JsonProcessingException e) {
      throw new TwilioMediaProtocolException("a text frame that is not JSON (" + e.getOriginalMessage() + ")");
    }
    if (n == null || !n.isObject()) {
      throw new TwilioMediaProtocolException("a text frame that is not a JSON object");
    }
    String event = text(n, "event", "the message");
    switch (event) {
      case "connected":
        return new StreamEvent.Connected(n.path("protocol").asText(""), n.path("version").asText(""));
      case "start":
        return start(n);
      case "media": {
        JsonNode m = object(n, "media");
        byte[] payload;
        try {
          payload = Base64.getDecoder().decode(text(m, "payload", "media"));
        } catch (IllegalArgumentException e) {
          throw new TwilioMediaProtocolException("media.payload is not base64");
        }
        return new StreamEvent.Media(m.path("track").asText("inbound"), number(m, "chunk"), number(m, "timestamp"),
            payload);
      }
      case "dtmf": {
        JsonNode d = object(n, "dtmf");
        String digit = text(d, "digit", "dtmf");
        if (digit.length() != 1 || DIGITS.indexOf(digit.charAt(0)) < 0) {
          throw new TwilioMediaProtocolException("dtmf.digit is not a key: '" + abbreviate(digit) + "'");
        }
        return new StreamEvent.Dtmf(d.path("track").asText("inbound_track"), digit.charAt(0));
      }
      case "mark":
        return new StreamEvent.Mark(text(object(n, "mark"), "name", "mark"));
      case "stop": {
        JsonNode s = n.path("stop");
        return new StreamEvent.Stop(s.path("accountSid").asText(""), s.path("callSid").asText(""));
      }
      default:
        log.debug("Media Streams event '{}' not used; skipped", abbreviate(event));
        return null;
    }
  }

  private static StreamEvent.Start start(JsonNode n) {
    JsonNode s = object(n, "start");
    String streamSid = s.hasNonNull("streamSid") ? s.get("streamSid").asText() : text(n, "streamSid", "the message");
    if (!STREAM_SID.matcher(streamSid).matches()) {
      throw new TwilioMediaProtocolException("start.streamSid is not a stream SID (MZ and 32 hex digits)");
    }
    String accountSid = text(s, "accountSid", "start");
    if (!ACCOUNT_SID.matcher(accountSid).matches()) {
      throw new TwilioMediaProtocolException("start.accountSid is not an account SID (AC and 32 hex digits)");
    }
    String callSid = text(s, "callSid", "start");
    if (!CALL_SID.matcher(callSid).matches()) {
      throw new TwilioMediaProtocolException("start.callSid is not a call SID (CA and 32 hex digits)");
    }
    List<String> tracks = new ArrayList<>();
    s.path("tracks").forEach(t -> tracks.add(t.asText()));
    Map<String, String> params = new LinkedHashMap<>();
    JsonNode custom = s.path("customParameters");
    if (!custom.isMissingNode() && !custom.isNull()) {
      if (!custom.isObject()) {
        throw new TwilioMediaProtocolException("start.customParameters is not an object");
      }
      custom.fields().forEachRemaining(f -> params.put(f.getKey(), f.getValue().asText()));
    }
    JsonNode format = object(s, "mediaFormat");
    return new StreamEvent.Start(streamSid, accountSid, callSid, List.copyOf(tracks), Map.copyOf(params),
        text(format, "encoding", "start.mediaFormat"), format.path("sampleRate").asInt(0),
        format.path("channels").asInt(0));
  }

  private static JsonNode object(JsonNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n == null || !n.isObject()) {
      throw new TwilioMediaProtocolException("'" + parent.path("event").asText("?") + "' without its " + field
          + " object");
    }
    return n;
  }

  private static String text(JsonNode parent, String field, String where) {
    JsonNode n = parent.get(field);
    if (n == null || !n.isValueNode() || n.isNull() || n.asText().isEmpty()) {
      throw new TwilioMediaProtocolException(where + " without its " + field);
    }
    return n.asText();
  }

  /** Twilio sends chunk and timestamp as strings of digits. */
  private static long number(JsonNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      return -1;
    }
    try {
      long v = Long.parseLong(n.asText());
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new TwilioMediaProtocolException("media." + field + " is not a number: '" + abbreviate(n.asText()) + "'");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 24 ? s : s.substring(0, 24) + "...";
  }
}
