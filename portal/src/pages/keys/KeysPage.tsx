import { PageTitle } from '../../components/common';

export default function KeysPage() {
  return <PageTitle>KeysPage</PageTitle>;
}
