import { z } from 'zod';
import { ForbiddenError } from '../errors.ts';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses, errorSchema } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import {
  alertViewSchema,
  createRuleSchema,
  listAlertsQuery,
  patchRuleSchema,
  putWebhookSchema,
  ruleParams,
  ruleViewSchema,
  webhookViewSchema,
} from './alert-rule.schemas.ts';
import type { AlertService } from './alert.service.ts';
import type { AlertWebhookService } from './alert-webhook.service.ts';

/** /v1/alert-rules, /v1/alerts and /v1/alert-webhook. */
export function alertRoutes(app: App, deps: { alerts: AlertService; webhook: AlertWebhookService; auth: AuthGuard }) {
  const { alerts, auth } = deps;
  const settings = auth.require('settings');
  const readAuditLog = auth.require('events:read');
  // Alerts are for the organization's administrators, not for embedded read-only viewers.
  const readAlerts = Object.assign(async (request: Parameters<typeof readAuditLog>[0]) => {
    await readAuditLog(request);
    if (request.principal!.kind === 'viewer') throw new ForbiddenError('viewer tokens cannot read alerts');
  }, { requires: readAuditLog.requires });
  const rules = { tags: ['alerts'] };

  app.get('/v1/alert-rules', {
    schema: { ...rules, summary: "List the organization's alert rules (built-in defaults included)", response: { 200: z.object({ rules: z.array(ruleViewSchema) }), ...errorResponses } },
    onRequest: settings,
    handler: async (request) => ({ rules: await alerts.listRules(request.principal!.orgId) }),
  });

  app.post('/v1/alert-rules', {
    schema: { ...rules, summary: 'Create an alert rule', body: createRuleSchema, response: { 201: ruleViewSchema, ...errorResponses } },
    onRequest: settings,
    handler: async (request, reply) => reply.status(201).send(await alerts.createRule(request.principal!.orgId, request.body, request.principal!.actor, request)),
  });

  app.get('/v1/alert-rules/:id', {
    schema: { ...rules, summary: 'One alert rule', params: ruleParams, response: { 200: ruleViewSchema, ...errorResponses } },
    onRequest: settings,
    handler: async (request) => alerts.getRule(request.principal!.orgId, request.params.id),
  });

  app.patch('/v1/alert-rules/:id', {
    schema: { ...rules, summary: 'Change an alert rule (name, filter, condition, cooldown, enabled)', params: ruleParams, body: patchRuleSchema, response: { 200: ruleViewSchema, ...errorResponses } },
    onRequest: settings,
    handler: async (request) => alerts.updateRule(request.principal!.orgId, request.params.id, request.body, request.principal!.actor, request),
  });

  app.delete('/v1/alert-rules/:id', {
    schema: { ...rules, summary: 'Delete an alert rule', params: ruleParams, response: { 204: z.null(), ...errorResponses } },
    onRequest: settings,
    handler: async (request, reply) => {
      await alerts.deleteRule(request.principal!.orgId, request.params.id, request.principal!.actor, request);
      return reply.status(204).send(null);
    },
  });

  app.get('/v1/alerts', {
    schema: {
      ...rules,
      summary: 'Fired alerts, newest first, with the number still open',
      querystring: listAlertsQuery,
      response: { 200: z.object({ alerts: z.array(alertViewSchema), open_count: z.number().int() }), ...errorResponses },
    },
    onRequest: readAlerts,
    handler: async (request) => alerts.listAlerts(request.principal!.orgId, request.query.status, request.query.limit),
  });

  app.get('/v1/alerts/:id', {
    schema: { ...rules, summary: 'One alert', params: ruleParams, response: { 200: alertViewSchema, ...errorResponses } },
    onRequest: readAlerts,
    handler: async (request) => alerts.getAlert(request.principal!.orgId, request.params.id),
  });

  app.post('/v1/alerts/:id/acknowledge', {
    schema: { ...rules, summary: 'Acknowledge an open alert (recorded as alert.acknowledged)', params: ruleParams, response: { 200: alertViewSchema, ...errorResponses, 409: errorSchema.describe('The alert is already acknowledged') } },
    onRequest: settings,
    handler: async (request) => alerts.acknowledge(request.principal!.orgId, request.params.id, request.principal!.actor, request),
  });

  app.get('/v1/alert-webhook', {
    schema: { ...rules, summary: 'The alert webhook and its recent deliveries', response: { 200: webhookViewSchema, ...errorResponses } },
    onRequest: settings,
    handler: async (request) => deps.webhook.get(request.principal!.orgId),
  });

  app.put('/v1/alert-webhook', {
    schema: { ...rules, summary: 'Configure the alert webhook; the signing secret is returned once when generated', body: putWebhookSchema, response: { 200: webhookViewSchema, ...errorResponses } },
    onRequest: settings,
    handler: async (request) => deps.webhook.put(request.principal!.orgId, request.body, request.principal!.actor, request),
  });
}
