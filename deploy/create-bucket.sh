#!/bin/sh
# One-shot job of docker-compose.yml: the `models` bucket, and a least-privilege user for the dashboard
# (read-write on the bucket) and one for the REST service (read-only), each with its own policy. Idempotent.
set -eu
sh /deploy/check-settings.sh MINIO_ROOT_USER MINIO_ROOT_PASSWORD VARLIB_APP_ACCESS_KEY VARLIB_APP_SECRET_KEY \
  VARLIB_SERVICE_ACCESS_KEY VARLIB_SERVICE_SECRET_KEY
mc alias set store http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" > /dev/null
mc mb --ignore-existing store/models
mc admin policy create store varlib-app /deploy/minio/app-policy.json
mc admin policy create store varlib-service /deploy/minio/service-policy.json
mc admin user add store "$VARLIB_APP_ACCESS_KEY" "$VARLIB_APP_SECRET_KEY"
mc admin user add store "$VARLIB_SERVICE_ACCESS_KEY" "$VARLIB_SERVICE_SECRET_KEY"
# attach fails when the policy is attached already (a second `up`): detach first, so that the job is idempotent
mc admin policy detach store varlib-app --user "$VARLIB_APP_ACCESS_KEY" > /dev/null 2>&1 || true
mc admin policy attach store varlib-app --user "$VARLIB_APP_ACCESS_KEY"
mc admin policy detach store varlib-service --user "$VARLIB_SERVICE_ACCESS_KEY" > /dev/null 2>&1 || true
mc admin policy attach store varlib-service --user "$VARLIB_SERVICE_ACCESS_KEY"
