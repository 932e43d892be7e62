import { Alert, Box } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { setBearer } from '../lib/api.ts';
import { AuditLogsView } from './AuditLogsPage.tsx';

/** The Audit Logs page inside a host application, authorized by a viewer token (?token=...). */
export function EmbedPage() {
  const [params, setParams] = useSearchParams();
  // The token is taken out of the address bar at once, so it is not shared by copying the URL;
  // it stays in this tab's session storage for reloads.
  const [token] = useState(() => {
    const t = params.get('token') ?? sessionStorage.getItem('auditum-embed-token');
    if (t) sessionStorage.setItem('auditum-embed-token', t);
    setBearer(t);
    return t;
  });
  useEffect(() => {
    if (!params.get('token')) return;
    const next = new URLSearchParams(params);
    next.delete('token');
    setParams(next, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  if (!token) return <Alert color="red" m="md">This embedded view needs a viewer token.</Alert>;
  const open = (id: string | null, search?: URLSearchParams) => {
    const next = new URLSearchParams(search ?? params);
    next.delete('token');
    if (id) next.set('event', id);
    else next.delete('event');
    setParams(next);
  };
  return (
    <Box p="md">
      <AuditLogsView embedded userKey="embed" eventId={params.get('event')} openEvent={open} closeEvent={(search) => open(null, search)} />
    </Box>
  );
}
