{{/*
Shared helpers for the authsvc chart: names and labels, the environment every
authsvc container receives, and the pod settings common to web, worker and
the migration Job.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "authsvc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters (the DNS label limit).
The release name is used alone when it already contains the chart name.
*/}}
{{- define "authsvc.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "authsvc.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "authsvc.labels" -}}
helm.sh/chart: {{ include "authsvc.chart" . }}
{{ include "authsvc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels. Every workload adds app.kubernetes.io/component (web, worker,
migrations) so the Service only ever selects web pods.
*/}}
{{- define "authsvc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "authsvc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "authsvc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "authsvc.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "authsvc.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The chart-managed Secret read by the web and worker pods. */}}
{{- define "authsvc.secretName" -}}
{{- include "authsvc.fullname" . }}
{{- end }}

{{/*
The hook-scoped copy of that Secret read by the migration Job: the release
Secret does not exist yet when pre-install hooks run.
*/}}
{{- define "authsvc.migrationSecretName" -}}
{{- printf "%s-migrations" (include "authsvc.fullname" .) }}
{{- end }}

{{/*
AUTHSVC_BASE_URL: config.baseUrl, else derived from the first Ingress host.
Renders nothing when neither is available.
*/}}
{{- define "authsvc.baseUrl" -}}
{{- if .Values.config.baseUrl }}
{{- .Values.config.baseUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (index .Values.ingress.hosts 0).host }}
{{- printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.tls))) $host }}
{{- end }}
{{- end }}

{{/*
AUTHSVC_EMBEDDED_WORKER: explicit config.embeddedWorker, else the opposite of
worker.enabled so that exactly one kind of process dispatches webhooks.
*/}}
{{- define "authsvc.embeddedWorker" -}}
{{- if kindIs "invalid" .Values.config.embeddedWorker }}
{{- not .Values.worker.enabled }}
{{- else }}
{{- .Values.config.embeddedWorker }}
{{- end }}
{{- end }}

{{/* Non-secret settings as NAME: "value" lines (the ConfigMap data). */}}
{{- define "authsvc.configData" -}}
AUTHSVC_ENV: {{ .Values.config.env | quote }}
AUTHSVC_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
AUTHSVC_LOG_FORMAT: {{ .Values.config.logFormat | quote }}
AUTHSVC_METRICS_TENANT_LABELS: {{ .Values.metrics.tenantLabels | quote }}
AUTHSVC_METRICS_PORT: {{ .Values.metrics.port | quote }}
AUTHSVC_WORKER_METRICS_PORT: {{ .Values.metrics.workerPort | quote }}
AUTHSVC_EMBEDDED_WORKER: {{ include "authsvc.embeddedWorker" . | quote }}
{{- with include "authsvc.baseUrl" . }}
AUTHSVC_BASE_URL: {{ . | quote }}
{{- end }}
{{- with .Values.config.mailSender }}
AUTHSVC_MAIL_SENDER: {{ . | quote }}
{{- end }}
{{- if .Values.smtp.host }}
AUTHSVC_SMTP_HOST: {{ .Values.smtp.host | quote }}
AUTHSVC_SMTP_PORT: {{ .Values.smtp.port | quote }}
AUTHSVC_SMTP_TLS: {{ .Values.smtp.tls | quote }}
{{- with .Values.smtp.username }}
AUTHSVC_SMTP_USERNAME: {{ . | quote }}
{{- end }}
{{- end }}
{{- range $name, $value := .Values.config.extra }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{/*
The same settings as a container env list, for the migration Job: a
chart-managed ConfigMap does not exist yet when pre-install hooks run.
*/}}
{{- define "authsvc.configEnv" -}}
{{- range $name, $value := include "authsvc.configData" . | fromYaml }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/*
Data of the chart-managed Secret (base64). Only the values that no
existing Secret provides are stored.
*/}}
{{- define "authsvc.secretData" -}}
AUTHSVC_SECRET_KEY: {{ required "secretKey is required unless existingSecret is set" .Values.secretKey | b64enc | quote }}
{{- if not .Values.postgresql.existingSecret }}
AUTHSVC_DATABASE_URL: {{ required "postgresql.url is required unless postgresql.existingSecret or existingSecret is set" .Values.postgresql.url | b64enc | quote }}
{{- end }}
{{- if and .Values.redis.url (not .Values.redis.existingSecret) }}
AUTHSVC_REDIS_URL: {{ .Values.redis.url | b64enc | quote }}
{{- end }}
{{- with .Values.smtp.password }}
AUTHSVC_SMTP_PASSWORD: {{ . | b64enc | quote }}
{{- end }}
{{- end }}

{{/*
One env entry read from a Secret. Takes a dict: env, name, key and optionally
optional (true when the key may be absent from a Secret the user manages).
*/}}
{{- define "authsvc.secretKeyRef" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .name | quote }}
      key: {{ .key | quote }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/*
The secret settings as a container env list. Takes a dict: root (the chart
context) and secretName (the chart-managed Secret to read: the release Secret
for long-running pods, the hook copy for the migration Job). Precedence per
variable: postgresql/redis.existingSecret, then existingSecret, then the
chart-managed Secret; the latter holds exactly what authsvc.secretData writes.
*/}}
{{- define "authsvc.secretEnv" -}}
{{- $root := .root }}
{{- $external := not (empty $root.Values.existingSecret) }}
{{- $name := $root.Values.existingSecret | default .secretName }}
{{- include "authsvc.secretKeyRef" (dict "env" "AUTHSVC_SECRET_KEY" "name" $name "key" (ternary $root.Values.existingSecretKeys.secretKey "AUTHSVC_SECRET_KEY" $external)) }}
{{- if $root.Values.postgresql.existingSecret }}
{{ include "authsvc.secretKeyRef" (dict "env" "AUTHSVC_DATABASE_URL" "name" $root.Values.postgresql.existingSecret "key" $root.Values.postgresql.existingSecretKey) }}
{{- else }}
{{ include "authsvc.secretKeyRef" (dict "env" "AUTHSVC_DATABASE_URL" "name" $name "key" (ternary $root.Values.existingSecretKeys.databaseUrl "AUTHSVC_DATABASE_URL" $external)) }}
{{- end }}
{{- if $root.Values.redis.existingSecret }}
{{ include "authsvc.secretKeyRef" (dict "env" "AUTHSVC_REDIS_URL" "name" $root.Values.redis.existingSecret "key" $root.Values.redis.existingSecretKey) }}
{{- else if or $external $root.Values.redis.url }}
{{ include "authsvc.secretKeyRef" (dict "env" "AUTHSVC_REDIS_URL" "name" $name "key" (ternary $root.Values.existingSecretKeys.redisUrl "AUTHSVC_REDIS_URL" $external) "optional" $external) }}
{{- end }}
{{- if or $external $root.Values.smtp.password }}
{{ include "authsvc.secretKeyRef" (dict "env" "AUTHSVC_SMTP_PASSWORD" "name" $name "key" (ternary $root.Values.existingSecretKeys.smtpPassword "AUTHSVC_SMTP_PASSWORD" $external) "optional" $external) }}
{{- end }}
{{- end }}

{{/*
Pod spec fields shared by every pod of the chart (web, worker, migrations).
The ServiceAccount is set per workload.
*/}}
{{- define "authsvc.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Pod metadata shared by web and worker pods. Checksums roll the pods when the
ConfigMap or Secret changes, since env vars are only read at start.
*/}}
{{- define "authsvc.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The writable /tmp every container needs under a read-only root. */}}
{{- define "authsvc.tmpVolume" -}}
- name: tmp
  emptyDir: {{ .Values.tmpDir | default (dict) | toJson }}
{{- end }}
