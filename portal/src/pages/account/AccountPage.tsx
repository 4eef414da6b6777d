import { PageTitle } from '../../components/common';

export default function AccountPage() {
  return <PageTitle>AccountPage</PageTitle>;
}
