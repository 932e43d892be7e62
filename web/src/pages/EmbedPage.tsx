import { Alert, Box } from '@mantine/core';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { setBearer } from '../lib/api.ts';
import { AuditLogsView } from './AuditLogsPage.tsx';

/** The Audit Logs page inside a host application, authorized by a viewer token (?token=...). */
export function EmbedPage() {
  const [params, setParams] = useSearchParams();
  // The token is taken out of the address bar at once, so it is not shared by copying the URL.
  const [token] = useState(() => {
    const t = params.get('token') ?? sessionStorage.getItem('auditum-embed-token');
    if (t) sessionStorage.setItem('auditum-embed-token', t);
    return t;
  });
  useState(() => {
    if (params.get('token')) {
      const next = new URLSearchParams(params);
      next.delete('token');
      setParams(next, { replace: true });
    }
    setBearer(token);
    return null;
  });
  if (!token) return <Alert color="red" m="md">This embedded view needs a viewer token.</Alert>;
  const open = (id: string | null) => {
    const next = new URLSearchParams(params);
    next.delete('token');
    if (id) next.set('event', id);
    else next.delete('event');
    setParams(next);
  };
  return (
    <Box p="md">
      <AuditLogsView embedded eventId={params.get('event')} openEvent={open} closeEvent={() => open(null)} />
    </Box>
  );
}
