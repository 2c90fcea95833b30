/**
 * The built-in templates (LiquidJS), used wherever settings.templates holds ''. Table layout with
 * inline styles: that is what survives Outlook and Gmail. The variables are those of ./context.ts.
 */

export const DEFAULT_SUBJECT_TEMPLATE = '[{{ severityLabel }}]{% if isSupport %} {{ applianceName }}:{% endif %} {{ summary }}'

export const DEFAULT_TEXT_TEMPLATE = `{{ severityLabel }}{% if isResolution %} · RESOLVED{% endif %}{% if isDigest %} · DIGEST{% endif %}
{{ summary }}
{% if message != "" %}
{{ message }}
{% endif %}
Severity:  {{ severityLabel }}
{% if source != "" %}Source:    {{ source }}
{% endif %}{% if category != "" %}Category:  {{ category }}
{% endif %}Time:      {{ time }}
{% if count > 1 %}Events:    {{ count }}{% if period != "" %} in the last {{ period }}{% endif %}
{% endif %}{% if labels.size > 0 %}
Labels
{% for l in labels %}  {{ l.name }} = {{ l.value }}
{% endfor %}{% endif %}{% if count > 1 and items.size > 0 %}
Top alerts
{% for i in items %}  {{ i.count }} × {{ i.title }}
{% endfor %}{% endif %}{% if consoleUrl != "" %}
Open the console: {{ consoleUrl }}
{% endif %}
-- 
{{ applianceName }}{% if isSupport %} · technical support copy{% endif %} · sent by alertmail
`

const cell = 'padding:6px 12px 6px 0;color:#6b7280;font-size:13px;vertical-align:top;white-space:nowrap'
const value = 'padding:6px 0;color:#111827;font-size:13px;vertical-align:top'

export const DEFAULT_HTML_TEMPLATE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{ summary }}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:#f3f4f6;padding:24px 0">
<tr><td align="center">
<table role="presentation" width="600" cellspacing="0" cellpadding="0" style="max-width:600px;width:100%;background:#ffffff;border-radius:6px;overflow:hidden;border:1px solid #e5e7eb">
<tr><td style="background:{% if isResolution %}#15803d{% else %}{{ color }}{% endif %};padding:14px 24px;color:#ffffff;font-size:13px;font-weight:600;letter-spacing:0.08em">
{{ severityLabel }}{% if isResolution %} · RESOLVED{% endif %}{% if isDigest %} · DIGEST{% endif %}{% if isRepeat %} · REPEATED{% endif %}
</td></tr>
<tr><td style="padding:24px 24px 8px 24px">
<h1 style="margin:0 0 12px 0;font-size:20px;line-height:1.3;color:#111827">{{ summary }}</h1>
{% if message != "" %}<p style="margin:0 0 16px 0;font-size:14px;line-height:1.5;color:#374151;white-space:pre-wrap">{{ message }}</p>{% endif %}
<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse">
<tr><td style="${cell}">Severity</td><td style="${value}"><span style="color:{{ color }};font-weight:600">{{ severityLabel }}</span></td></tr>
{% if source != "" %}<tr><td style="${cell}">Source</td><td style="${value}">{{ source }}</td></tr>{% endif %}
{% if category != "" %}<tr><td style="${cell}">Category</td><td style="${value}">{{ category }}</td></tr>{% endif %}
<tr><td style="${cell}">Time</td><td style="${value}">{{ time }}</td></tr>
{% if count > 1 %}<tr><td style="${cell}">Events</td><td style="${value}">{{ count }}{% if period != "" %} in the last {{ period }}{% endif %}</td></tr>{% endif %}
</table>
</td></tr>
{% if labels.size > 0 %}<tr><td style="padding:8px 24px">
<h2 style="margin:8px 0;font-size:14px;color:#111827">Labels</h2>
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="border-collapse:collapse;border:1px solid #e5e7eb">
{% for l in labels %}<tr><td style="padding:6px 10px;border-bottom:1px solid #e5e7eb;font-family:Menlo,Consolas,monospace;font-size:12px;color:#6b7280;width:35%">{{ l.name }}</td><td style="padding:6px 10px;border-bottom:1px solid #e5e7eb;font-family:Menlo,Consolas,monospace;font-size:12px;color:#111827">{{ l.value }}</td></tr>
{% endfor %}</table>
</td></tr>{% endif %}
{% if count > 1 and items.size > 0 %}<tr><td style="padding:8px 24px">
<h2 style="margin:8px 0;font-size:14px;color:#111827">Top alerts</h2>
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="border-collapse:collapse">
{% for i in items %}<tr><td style="padding:4px 10px 4px 0;font-size:13px;color:#6b7280;text-align:right;width:60px">{{ i.count }} ×</td><td style="padding:4px 0;font-size:13px;color:#111827">{{ i.title }}</td></tr>
{% endfor %}</table>
</td></tr>{% endif %}
{% if consoleUrl != "" %}<tr><td style="padding:16px 24px 8px 24px">
<a href="{{ consoleUrl }}" style="display:inline-block;background:#111827;color:#ffffff;text-decoration:none;font-size:13px;font-weight:600;padding:10px 16px;border-radius:4px">Open the console</a>
</td></tr>{% endif %}
<tr><td style="padding:16px 24px 20px 24px;border-top:1px solid #e5e7eb;font-size:12px;color:#9ca3af">
{{ applianceName }}{% if isSupport %} · technical support copy{% endif %} · times in {{ timeZone }} · sent by alertmail
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`
