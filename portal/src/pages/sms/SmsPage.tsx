import { PageTitle } from '../../components/common';

export default function SmsPage() {
  return <PageTitle>SmsPage</PageTitle>;
}
