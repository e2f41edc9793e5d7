{{/* The chart's name, as labels use it. */}}
{{- define "promotions.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource names: <release>-pulumi-promotions unless overridden (63 characters, a DNS label). */}}
{{- define "promotions.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "promotions.selectorLabels" -}}
app.kubernetes.io/name: {{ include "promotions.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "promotions.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "promotions.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "promotions.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "promotions.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "promotions.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The path prefix serve answers under, without a trailing slash ("" for the root). */}}
{{- define "promotions.basePath" -}}
{{- .Values.server.basePath | trimSuffix "/" -}}
{{- end -}}

{{/* The console's URL from the Ingress, when server.publicUrl is not set. */}}
{{- define "promotions.publicUrl" -}}
{{- if .Values.server.publicUrl -}}
{{- .Values.server.publicUrl | trimSuffix "/" -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "%s://%s%s" (ternary "https" "http" (ne .Values.ingress.tlsSecret "")) .Values.ingress.host (include "promotions.basePath" .) -}}
{{- end -}}
{{- end -}}

{{/* A volume: the claim when persistence is on for it, else an emptyDir. Args: (list $ "state"). */}}
{{- define "promotions.volume" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- $p := index $root.Values.persistence $key -}}
- name: {{ $key }}
{{- if $p.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-%s" (include "promotions.fullname" $root) $key) $p.existingClaim }}
{{- else }}
  emptyDir:
    {{- if $p.sizeLimit }}
    sizeLimit: {{ $p.sizeLimit }}
    {{- else }}
    {}
    {{- end }}
{{- end }}
{{- end -}}

{{/* The environment the git commands of the definitions' sync need: the token as an HTTP header, never in argv. */}}
{{- define "promotions.gitSyncEnv" -}}
- name: REPOSITORY
  value: {{ .Values.definitions.git.repository | quote }}
- name: REF
  value: {{ .Values.definitions.git.ref | quote }}
- name: HOME
  value: /tmp
{{- if .Values.secrets.gitTokens.name }}
- name: PROMOTIONS_GIT_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.gitTokens.name }}
      key: {{ .Values.secrets.gitTokens.key }}
      optional: true
{{- end }}
{{- end -}}

{{/*
The hosts configuration as PROMOTIONS_HOSTS takes it: each entry's token and webhook secret are named by the
variables PROMOTIONS_HOST_TOKEN_<i> and PROMOTIONS_HOST_WEBHOOK_<i>, which the Deployment fills from the Secret
keys the entry names.
*/}}
{{- define "pulumi-promotions.hostsJson" -}}
{{- $out := list -}}
{{- range $i, $h := .Values.hosts -}}
{{- $e := dict "prefix" $h.prefix "kind" $h.kind -}}
{{- with $h.apiUrl }}{{- $_ := set $e "apiUrl" . -}}{{- end -}}
{{- if $h.tokenSecret }}{{- $_ := set $e "tokenEnv" (printf "PROMOTIONS_HOST_TOKEN_%d" $i) -}}{{- end -}}
{{- if $h.webhookSecret }}{{- $_ := set $e "webhookSecretEnv" (printf "PROMOTIONS_HOST_WEBHOOK_%d" $i) -}}{{- end -}}
{{- $out = append $out $e -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
