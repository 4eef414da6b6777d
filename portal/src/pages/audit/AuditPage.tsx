import { PageTitle } from '../../components/common';

export default function AuditPage() {
  return <PageTitle>AuditPage</PageTitle>;
}
