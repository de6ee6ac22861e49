# The S3 destination (src/destinations/s3.ts) and its /newdest branch

# What was being done when S3 failed (the { $action } of the errors below)
s3-action-check = write, read and delete a probe object in
s3-action-store = store
s3-action-read = read
s3-action-delete = delete
s3-action-list-uploads = list or abort the unfinished uploads under

s3-error-network = Could not reach the S3 endpoint of destination "{ $name }" to { $action } { $object } (it will be tried again): { $detail }
s3-error-server = The S3 server of destination "{ $name }" failed to { $action } { $object } (it will be tried again): { $detail }
s3-error-no-bucket = Bucket { $bucket } of destination "{ $name }" does not exist. Create it, or fix the bucket name: { $detail }
s3-error-denied = The S3 server refused destination "{ $name }" access to bucket { $bucket }: check the access key, the secret key and the region, and that the key may read, write and delete there. ({ $detail })
s3-error-other = The S3 server refused to { $action } { $object } for destination "{ $name }": { $detail }
s3-error-part-file = Destination "{ $name }" cannot read the part file { $file } from the spool.

# /newdest → S3
s3-conv-endpoint = S3 endpoint URL? For example https://s3.eu-central-1.amazonaws.com, https://<account>.r2.cloudflarestorage.com or http://minio:9000.
s3-conv-region = Region? (us-east-1 if unsure; Cloudflare R2: auto)
s3-conv-bucket = Bucket name?
s3-conv-prefix = Key prefix inside the bucket (for example tele-backup/), or "-" for none:
s3-conv-path-style = Address the bucket as endpoint/bucket (path style)? MinIO, Garage and Ceph need it; AWS, R2 and B2 do not.
s3-conv-access-key = Access key id? (literal, or env:NAME / file:/run/secrets/x)
s3-conv-secret-key = Secret access key? Send it literally (the message is deleted and the key stored encrypted) or as env:NAME / file:/run/secrets/x.
s3-conv-testing = Testing bucket { $target }: putting, reading and deleting a small object…
s3-conv-kind = 🪣 S3-compatible storage
s3-conv-yes = Yes, path style
s3-conv-no = No, bucket.endpoint
conv-field-endpoint = Endpoint
conv-field-region = Region
conv-field-bucket = Bucket
conv-field-prefix = Key prefix
conv-field-pathStyle = Path style
conv-field-accessKey = Access key id
conv-field-secretKey = Secret access key

# /destinations card of an S3 destination
s3-card-bucket = Bucket: { $bucket } at { $endpoint }
s3-card-prefix = Key prefix: { $prefix }
s3-card-key = Access key: { $key } · secret key: { $secret }
