import { Center, Loader } from '@mantine/core';
import { RetryAlert } from './components/RetryAlert.tsx';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Layout } from './components/Layout.tsx';
import { AcceptInvitePage, LoginPage, SetupPage } from './pages/AuthPages.tsx';
import { AuditLogsPage } from './pages/AuditLogsPage.tsx';
import { AlertsPage } from './pages/AlertsPage.tsx';
import { AlertSettingsPage } from './pages/AlertSettingsPage.tsx';
import { EmbedPage } from './pages/EmbedPage.tsx';
import { ApiKeysPage, OauthClientsPage } from './pages/CredentialsPages.tsx';
import { MembersPage } from './pages/MembersPage.tsx';
import { RetentionPage } from './pages/RetentionPage.tsx';
import { HomePage } from './pages/HomePage.tsx';
import { isAdmin } from './lib/roles.ts';
import { useMe } from './api/session.ts';

function SignedIn() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (me.isError) {
    return (
      <Center h="100vh" p="md">
        <RetryAlert title="Auditum cannot be reached" error={me.error} retrying={me.isFetching} onRetry={() => void me.refetch()} />
      </Center>
    );
  }
  if (!me.data) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return (
    <Layout me={me.data}>
      <Routes>
        <Route path="/" element={isAdmin(me.data) ? <Navigate to="/audit-logs" replace /> : <HomePage me={me.data} />} />
        <Route path="/audit-logs" element={<AuditLogsPage me={me.data} />} />
        <Route path="/audit-logs/events/:id" element={<AuditLogsPage me={me.data} />} />
        <Route path="/alerts" element={<AlertsPage me={me.data} />} />
        <Route path="/settings/alerts" element={<AlertSettingsPage me={me.data} />} />
        <Route path="/settings/members" element={<MembersPage me={me.data} />} />
        <Route path="/settings/api-keys" element={<ApiKeysPage me={me.data} />} />
        <Route path="/settings/oauth-clients" element={<OauthClientsPage me={me.data} />} />
        <Route path="/settings/retention" element={<RetentionPage me={me.data} />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Layout>
  );
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/invite" element={<AcceptInvitePage />} />
      <Route path="/embed/*" element={<EmbedPage />} />
      <Route path="/*" element={<SignedIn />} />
    </Routes>
  );
}
