package io.asterline.recording;

/**
 * Where a recording is kept: {@code local} with an absolute file path as key, or {@code s3} with a bucket
 * and an object key ({@code <tenant>/<yyyy>/<mm>/<dd>/<call id>.wav}, a voicemail's
 * {@code <call id>-voicemail.wav}).
 */
public record StoredObject(String storage, String bucket, String key) {

  public static StoredObject local(String path) {
    return new StoredObject("local", null, path);
  }

  public static StoredObject s3(String bucket, String key) {
    return new StoredObject("s3", bucket, key);
  }
}
