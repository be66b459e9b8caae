package io.asterline.call;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Token counts a call's Realtime sessions reported, summed over every {@code response.done}'s
 * {@code response.usage}. Cached input tokens are part of the input tokens; the split of the cached ones into text
 * and audio comes from {@code cached_tokens_details} when the server sends it, else they count as audio first
 * (a phone call's input is almost all audio).
 */
public record RealtimeUsage(long textIn, long audioIn, long cachedTextIn, long cachedAudioIn, long textOut,
    long audioOut) {

  public static final RealtimeUsage NONE = new RealtimeUsage(0, 0, 0, 0, 0, 0);

  public RealtimeUsage plus(RealtimeUsage o) {
    return new RealtimeUsage(textIn + o.textIn, audioIn + o.audioIn, cachedTextIn + o.cachedTextIn,
        cachedAudioIn + o.cachedAudioIn, textOut + o.textOut, audioOut + o.audioOut);
  }

  /** One {@code response.usage} object; NONE when it is missing (a cancelled response may carry none). */
  public static RealtimeUsage of(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return NONE;
    }
    JsonNode in = usage.path("input_token_details");
    JsonNode out = usage.path("output_token_details");
    long textIn = count(in, "text_tokens");
    long audioIn = count(in, "audio_tokens");
    long cached = count(in, "cached_tokens");
    JsonNode cachedDetails = in.path("cached_tokens_details");
    long cachedText;
    long cachedAudio;
    if (cachedDetails.isObject()) {
      cachedText = Math.min(count(cachedDetails, "text_tokens"), textIn);
      cachedAudio = Math.min(count(cachedDetails, "audio_tokens"), audioIn);
    } else {
      cachedAudio = Math.min(cached, audioIn);
      cachedText = Math.min(cached - cachedAudio, textIn);
    }
    return new RealtimeUsage(textIn, audioIn, cachedText, cachedAudio, count(out, "text_tokens"),
        count(out, "audio_tokens"));
  }

  private static long count(JsonNode node, String field) {
    long n = node.path(field).asLong(0);
    return Math.max(n, 0);
  }
}
