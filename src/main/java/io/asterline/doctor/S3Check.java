package io.asterline.doctor;

import io.asterline.recording.StorageConfig;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** HeadBucket on the recordings bucket, with the credentials, region and endpoint the recording workers use. */
final class S3Check {

  private static final String CHECK = "s3";

  private final StorageConfig storage;
  private final Duration timeout;

  S3Check(StorageConfig storage, Duration timeout) {
    this.storage = storage;
    this.timeout = timeout;
  }

  Finding run() {
    if (storage.s3().isEmpty()) {
      return Finding.skip(CHECK, "s3.bucket is unset: recordings stay on local disk");
    }
    StorageConfig.S3 s3 = storage.s3().get();
    String where = "bucket " + s3.bucket() + " (" + s3.endpoint().map(Object::toString).orElse("region " + s3.region())
        + ")";
    AwsCredentialsProvider credentials = s3.accessKey().isPresent()
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey().get(), s3.secretKey().orElse("")))
        : DefaultCredentialsProvider.builder().build();
    // as recording/S3Storage builds its client: path-style, the same region and endpoint
    S3ClientBuilder builder = S3Client.builder()
        .region(Region.of(s3.region()))
        .credentialsProvider(credentials)
        .forcePathStyle(true)
        .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(timeout).socketTimeout(timeout));
    s3.endpoint().ifPresent(builder::endpointOverride);
    try (S3Client client = builder.build()) {
      client.headBucket(HeadBucketRequest.builder().bucket(s3.bucket()).build());
      return Finding.ok(CHECK, where + " exists and the credentials may use it");
    } catch (S3Exception e) {
      return switch (e.statusCode()) {
        case 404 -> Finding.fail(CHECK, where + " does not exist: create it, or correct s3.bucket (S3_BUCKET)");
        case 403 -> Finding.fail(CHECK, where + ": access denied (HTTP 403): check s3.access-key/s3.secret-key "
            + "(S3_ACCESS_KEY/S3_SECRET_KEY) and that their policy allows s3:ListBucket, s3:PutObject and "
            + "s3:GetObject on it");
        case 301 -> Finding.fail(CHECK, where + " is in another region (HTTP 301): set s3.region (S3_REGION) to "
            + "the bucket's region");
        case 400 -> Finding.fail(CHECK, where + ": the request was refused (HTTP 400; often a wrong s3.region or "
            + "malformed credentials)");
        default -> Finding.fail(CHECK, where + ": HTTP " + e.statusCode());
      };
    } catch (SdkClientException e) {
      return Finding.fail(CHECK, "cannot reach " + where + ": " + e.getMessage() + "; check s3.endpoint (S3_ENDPOINT), "
          + "s3.region and, without s3.access-key, the instance's AWS credentials");
    }
  }
}
