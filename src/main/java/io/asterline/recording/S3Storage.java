package io.asterline.recording;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedGetObjectRequest;

/**
 * S3 (or an S3-compatible store such as MinIO) with path-style access. The object key is derived from the
 * call, so an upload repeated after a crash replaces the same object: there is only ever one.
 */
final class S3Storage implements RecordingStorage {

  static final Duration LINK_VALIDITY = Duration.ofMinutes(15);

  private final String bucket;
  private final S3Client client;
  private final S3Presigner presigner;

  S3Storage(StorageConfig.S3 config) {
    this.bucket = config.bucket();
    AwsCredentialsProvider credentials = config.accessKey().isPresent()
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKey().get(), config.secretKey().get()))
        : DefaultCredentialsProvider.builder().build();
    Region region = Region.of(config.region());
    S3ClientBuilder builder = S3Client.builder()
        .region(region)
        .credentialsProvider(credentials)
        .forcePathStyle(true)
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(Duration.ofMinutes(2)));
    S3Presigner.Builder presign = S3Presigner.builder()
        .region(region)
        .credentialsProvider(credentials)
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build());
    if (config.endpoint().isPresent()) {
      // S3-compatible stores do not all speak the newer streaming checksums; send them only when required
      builder.endpointOverride(config.endpoint().get())
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
      presign.endpointOverride(config.endpoint().get());
    }
    this.client = builder.build();
    this.presigner = presign.build();
  }

  @Override
  public StoredObject store(Path source, long bytes, RecordingKind kind, long tenantId, UUID callId,
      OffsetDateTime callCreatedAt) throws IOException {
    if (!Files.isRegularFile(source)) {
      throw new RecordingFailure("recording file " + source + " is gone before it reached S3");
    }
    long size = Files.size(source);
    if (size != bytes) {
      throw new IOException("recording file " + source + " changed since it was captured (" + bytes + " -> "
          + size + " bytes)");
    }
    String key = kind.objectKey(tenantId, callId, callCreatedAt);
    client.putObject(PutObjectRequest.builder()
            .bucket(bucket)
            .key(key)
            .contentType("audio/wav")
            .contentLength(bytes)
            .metadata(java.util.Map.of("call-id", callId.toString(), "tenant-id", Long.toString(tenantId),
                "kind", kind.value()))
            .build(),
        RequestBody.fromFile(source));
    return StoredObject.s3(bucket, key);
  }

  @Override
  public Audio audio(StoredObject stored, Path source, long bytes) throws IOException {
    if (Files.isRegularFile(source) && Files.size(source) == bytes) {
      return new Audio(source, false);
    }
    Path copy = Files.createTempFile("asterline-recording-", ".wav");
    Files.delete(copy);
    client.getObject(GetObjectRequest.builder().bucket(stored.bucket()).key(stored.key()).build(),
        ResponseTransformer.toFile(copy));
    return new Audio(copy, true);
  }

  @Override
  public void cleanup(StoredObject stored, Path source) throws IOException {
    Files.deleteIfExists(source);
  }

  @Override
  public Download download(StoredObject stored) {
    PresignedGetObjectRequest presigned = presigner.presignGetObject(r -> r
        .signatureDuration(LINK_VALIDITY)
        .getObjectRequest(g -> g.bucket(stored.bucket()).key(stored.key()).responseContentType("audio/wav")));
    Instant expires = presigned.expiration();
    try {
      return new Link(presigned.url().toURI(), expires);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("S3 presigned a URL that is not a URI", e);
    }
  }

  @Override
  public void close() {
    presigner.close();
    client.close();
  }
}
